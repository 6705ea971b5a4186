"""Admin for events: fast on large tables, read-only by default, plus an inline for any model."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from djangotailoring.tracking.models import Event

__all__ = ["EventAdmin", "EventInline", "EventNameFilter", "LargeTablePaginator"]


class LargeTablePaginator(Paginator):  # type: ignore[type-arg]
    """A paginator that never counts a large table.

    It counts at most ``COUNT_LIMIT + 1`` rows (a bounded index scan on every backend), so
    on a large table the admin offers the first ``COUNT_LIMIT`` rows' pages instead of
    counting millions of rows; narrow the list with the filters to reach older events.
    """

    COUNT_LIMIT = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return len(queryset)
        # Counting at most COUNT_LIMIT + 1 rows bounds the work on any backend.
        return queryset.order_by()[: self.COUNT_LIMIT + 1].count()


class EventNameFilter(admin.SimpleListFilter):
    """Filter by event name, offering the names of the most recent events.

    The choices come from a bounded sample of recent events (an index scan), never from a
    ``DISTINCT`` over the whole table.
    """

    title = _("name")
    parameter_name = "name"
    SAMPLE = 2_000

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        recent = Event.objects.order_by("-timestamp", "-id").values_list("name", flat=True)[
            : self.SAMPLE
        ]
        return [(name, name) for name in sorted(set(recent))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        value = self.value()
        return queryset.filter(name=value) if value else queryset


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only event admin that stays fast on millions of rows."""

    list_display = (
        "timestamp",
        "name",
        "user",
        "note",
        "related_content_type",
        "related_object_id",
    )
    list_filter = (EventNameFilter, ("timestamp", admin.DateFieldListFilter))
    list_select_related = ("user", "related_content_type")
    search_fields = ("=name", "note", "user__username")
    date_hierarchy = None
    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 50
    ordering = ("-timestamp", "-id")
    readonly_fields = (
        "name",
        "timestamp",
        "user",
        "note",
        "related_content_type",
        "related_object_id",
        "data",
    )
    fields = readonly_fields
    raw_id_fields = ("user",)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        from django.contrib.auth import get_user_model

        username = get_user_model().USERNAME_FIELD
        return ("=name", "note", f"user__{username}")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(GenericTabularInline):
    """Show an object's events on its own admin page (read-only).

    Add it to the admin of any model::

        class StudyAdmin(admin.ModelAdmin):
            inlines = [EventInline]
    """

    model = Event
    ct_field = "related_content_type"
    ct_fk_field = "related_object_id"
    fields = ("timestamp", "name", "user", "note")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    ordering = ("-timestamp", "-id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
