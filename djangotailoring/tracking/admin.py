"""Admin for events: fast on large tables, read-only by default, plus an inline for any model."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator, smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from djangotailoring.tracking import timelines
from djangotailoring.tracking.activity import activity_of
from djangotailoring.tracking.charts import activity_chart
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import database_of, events_apart, with_related

__all__ = [
    "EventAdmin",
    "EventChangeList",
    "EventInline",
    "EventNameFilter",
    "LargeTablePaginator",
    "LatestEventsFormSet",
]

NOTE_CHARS = 80


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
        return queryset.order_by().values("pk")[: self.COUNT_LIMIT + 1].count()


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


class EventChangeList(ChangeList):
    """The change list's rows without ``data`` (a column can be large; the list never shows it)."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request, exclude_parameters)
        # The chart counts these rows: without the display-only annotation below.
        self.filtered_queryset = queryset
        shown: QuerySet[Any] = queryset.defer("data").annotate(
            related_label=KeyTextTransform("related_object", "data")
        )
        return shown


def _bound(request: HttpRequest, name: str) -> Any:
    return parse_datetime(request.GET.get(name, "") or "")


def _latest_shown(request: HttpRequest, changelist: ChangeList) -> Any:
    """The newest matching event's time when the first page shows it (in default order)."""
    if ORDER_VAR in request.GET or changelist.page_num != 1 or not changelist.result_list:
        return None
    return changelist.result_list[0].timestamp


SEARCH_USERS = 1000


def _users_matching(word: str) -> list[Any]:
    """Ids of the users whose username contains ``word`` (on the users' database)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    lookup = {f"{user_model.USERNAME_FIELD}__icontains": word}
    users = user_model._default_manager.using(database_of(user_model))
    return list(users.filter(**lookup).order_by("pk").values_list("pk", flat=True)[:SEARCH_USERS])


def _object_timeline_url(site: str, content_type_id: int, object_id: Any) -> str:
    return reverse(f"{site}:tracking_event_object_timeline", args=[content_type_id, object_id])


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only event admin that stays fast on millions of rows.

    The change list shows a chart of the events per day (per hour for short ranges) of the
    current filters; every user and related object links to its timeline page.
    """

    list_display = ("timestamp", "name", "user_link", "short_note", "related")
    list_filter = (EventNameFilter, ("timestamp", admin.DateFieldListFilter))
    list_select_related = ("user", "related_content_type")
    search_fields = ("=name", "note", "user__username")
    date_hierarchy = None
    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 50
    ordering = ("-timestamp", "-id")
    readonly_fields = ("name", "timestamp", "user_link", "note", "related", "pretty_data")
    fields = readonly_fields
    change_list_template = "tracking/admin/change_list.html"
    # Linked from every row and from EventInline, though not offered as list filters.
    FILTERS_BY_LINK = ("related_content_type__id__exact", "related_object_id", "user__id__exact")

    class Media:
        css = {"all": ("tracking/admin/events.css",)}

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return EventChangeList

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        from django.contrib.auth import get_user_model

        if events_apart():
            # Usernames are matched on the users' database (get_search_results).
            return ("=name", "note")
        username = get_user_model().USERNAME_FIELD
        return ("=name", "note", f"user__{username}")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if not events_apart() or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        # No join reaches the users' database: each word matches the name, the note, or
        # the ids of the users (at most SEARCH_USERS of them) whose username contains it.
        condition = Q()
        for word in smart_split(search_term):
            word = unescape_string_literal(word) if word[:1] in {'"', "'"} else word
            condition &= (
                Q(name=word) | Q(note__icontains=word) | Q(user_id__in=_users_matching(word))
            )
        return queryset.filter(condition), False

    def get_list_select_related(self, request: HttpRequest) -> Any:
        return () if events_apart() else super().get_list_select_related(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if events_apart():
            return queryset.prefetch_related(*self.list_select_related)
        return queryset

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        if lookup in self.FILTERS_BY_LINK:
            return True
        return bool(super().lookup_allowed(lookup, value, request))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "timeline/object/<int:content_type_id>/<path:object_id>/",
                view(self.object_timeline_view),
                name="tracking_event_object_timeline",
            ),
            path(
                "timeline/user/<path:user_id>/",
                view(self.user_timeline_view),
                name="tracking_event_user_timeline",
            ),
            *super().get_urls(),
        ]

    def object_timeline_view(
        self, request: HttpRequest, content_type_id: int, object_id: str
    ) -> HttpResponse:
        """The timeline page of one object."""
        return timelines.object_timeline(request, self, content_type_id, object_id)

    def user_timeline_view(self, request: HttpRequest, user_id: str) -> HttpResponse:
        """The timeline page of one user."""
        return timelines.user_timeline(request, self, user_id)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            changelist = response.context_data.get("cl")
            if changelist is not None:
                activity = activity_of(
                    getattr(changelist, "filtered_queryset", changelist.queryset),
                    since=_bound(request, "timestamp__gte"),
                    until=_bound(request, "timestamp__lt"),
                    latest=_latest_shown(request, changelist),
                )
                response.context_data["activity"] = activity
                response.context_data["chart"] = (
                    activity_chart(activity) if activity is not None else None
                )
        return response

    @admin.display(description=_("user"), ordering="user")
    def user_link(self, event: Event) -> SafeString | str:
        """The user, linked to their timeline."""
        if event.user is None:
            return "-"
        url = reverse(f"{self.admin_site.name}:tracking_event_user_timeline", args=[event.user.pk])
        return format_html('<a href="{}">{}</a>', url, event.user.get_username())

    @admin.display(description=_("note"))
    def short_note(self, event: Event) -> str:
        """The note, cut to fit the row (the change page shows all of it)."""
        return Truncator(event.note).chars(NOTE_CHARS)

    @admin.display(description=_("related object"))
    def related(self, event: Event) -> SafeString | str:
        """The related object's description as stored, its type, and a link to its timeline."""
        if event.related_content_type_id is None:
            return "-"
        content_type = event.related_content_type
        label = getattr(event, "related_label", None)
        if label is None:
            label = event.data.get("related_object") if "data" in event.__dict__ else None
        label = label or f"#{event.related_object_id}"
        url = _object_timeline_url(
            self.admin_site.name, event.related_content_type_id, event.related_object_id
        )
        kind = content_type.name if content_type is not None else ""
        return format_html(
            '<a href="{}">{}</a> <span class="tracking-kind">{}</span>', url, label, kind
        )

    @admin.display(description=_("data"))
    def pretty_data(self, event: Event) -> SafeString:
        """``data`` as indented JSON."""
        text = json.dumps(event.data, indent=2, ensure_ascii=False, sort_keys=True, default=str)
        return format_html('<pre class="tracking-data">{}</pre>', text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LatestEventsFormSet(BaseGenericInlineFormSet):  # type: ignore[type-arg]
    """The formset of :class:`EventInline`: only the latest ``limit`` events of the object."""

    limit = 20
    admin_site_name = "admin"

    def get_queryset(self) -> QuerySet[Any]:
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[: self.limit]
        return self._latest

    def _links(self) -> tuple[int, Any] | None:
        instance = self.instance
        if instance is None or instance.pk is None:
            return None
        content_type = ContentType.objects.get_for_model(instance)
        return content_type.pk, instance.pk

    @property
    def changelist_url(self) -> str | None:
        """The events change list filtered to this object."""
        links = self._links()
        if links is None:
            return None
        query = {
            "related_content_type__id__exact": links[0],
            "related_object_id": timelines.stored_object_id(links[1]),
        }
        base = reverse(f"{self.admin_site_name}:tracking_event_changelist")
        return f"{base}?{urlencode(query)}"

    @property
    def timeline_url(self) -> str | None:
        """The timeline page of this object."""
        links = self._links()
        return None if links is None else _object_timeline_url(self.admin_site_name, *links)


class EventInline(GenericTabularInline):
    """Show an object's latest events on its own admin page (read-only).

    Add it to the admin of any model::

        class StudyAdmin(admin.ModelAdmin):
            inlines = [EventInline]

    It shows the latest ``limit`` events (20; at most 300) and links to the object's
    timeline and to the change list filtered to the object, so the page stays small
    whatever the number of events.
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
    formset = LatestEventsFormSet  # type: ignore[assignment]
    template = "tracking/admin/edit_inline/events.html"
    limit = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return with_related(super().get_queryset(request), "user").defer("data")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset: Any = super().get_formset(request, obj, **kwargs)
        formset.limit = min(self.limit, 300)
        formset.admin_site_name = self.admin_site.name
        return formset

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
