"""The admin's timeline pages: one object's or one user's events, newest first, with a chart.

Each page reads one bounded slice of the events (``PAGE_SIZE`` rows through an index, older
ones page by page with a keyset cursor, never an ``OFFSET``) and counts the events per day of
the last :data:`~djangotailoring.tracking.activity.WINDOW` before the newest one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import connections, router
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from djangotailoring.tracking.activity import activity_of
from djangotailoring.tracking.charts import activity_chart
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import with_related

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

__all__ = ["PAGE_SIZE", "Cursor", "object_timeline", "stored_object_id", "user_timeline"]

PAGE_SIZE = 100


@dataclass(frozen=True)
class Cursor:
    """Where a timeline page starts: the events strictly older than ``(timestamp, id)``."""

    timestamp: datetime.datetime
    id: int

    @classmethod
    def from_request(cls, request: HttpRequest) -> Cursor | None:
        moment = parse_datetime(request.GET.get("before", ""))
        try:
            ident = int(request.GET.get("before_id", ""))
        except ValueError:
            return None
        return None if moment is None else cls(moment, ident)

    def older(self, queryset: QuerySet[Event]) -> QuerySet[Event]:
        return queryset.filter(
            Q(timestamp__lt=self.timestamp) | Q(timestamp=self.timestamp, id__lt=self.id)
        )


def _render(
    request: HttpRequest,
    model_admin: ModelAdmin[Event],
    queryset: QuerySet[Event],
    *,
    title: str,
    subject: str,
    filter_query: dict[str, Any],
) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    cursor = Cursor.from_request(request)
    page_query = queryset if cursor is None else cursor.older(queryset)
    rows = list(
        with_related(page_query, "user", "related_content_type")
        .defer("data")
        .order_by("-timestamp", "-id")[: PAGE_SIZE + 1]
    )
    events, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    activity = None
    if cursor is None and events:
        activity = activity_of(queryset, latest=events[0].timestamp)
    older_url = None
    if more:
        last = events[-1]
        older_url = "?" + urlencode({"before": last.timestamp.isoformat(), "before_id": last.id})
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "subject": subject,
        "events": events,
        "older_url": older_url,
        "activity": activity,
        "chart": activity_chart(activity) if activity is not None else None,
        "changelist_query": urlencode(filter_query),
        "page_size": PAGE_SIZE,
    }
    return TemplateResponse(request, "tracking/admin/timeline.html", context)


def stored_object_id(pk: Any) -> str:
    """``pk`` as ``related_object_id`` stores it (UUIDs as the database's UUID columns do)."""
    field = Event._meta.get_field("related_object_id")
    connection = connections[router.db_for_read(Event)]
    return str(field.get_db_prep_value(pk, connection))


def _describe(events_queryset: QuerySet[Event]) -> str | None:
    stored = (
        events_queryset.filter(data__has_key="related_object")
        .order_by("-timestamp", "-id")
        .values_list("data__related_object", flat=True)
        .first()
    )
    return None if stored is None else str(stored)


def object_timeline(
    request: HttpRequest, model_admin: ModelAdmin[Event], content_type_id: int, object_id: str
) -> HttpResponse:
    """The events related to one object (also after the object was deleted)."""
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist:
        raise Http404(_("No such object type.")) from None
    model = content_type.model_class()
    found = None
    if model is not None:
        try:
            found = model._default_manager.filter(pk=object_id).first()
        except (ValidationError, ValueError):
            raise Http404(_("No such object.")) from None
    if found is not None:
        queryset = Event.objects.related_to(found)
        subject = str(found)
    else:
        queryset = Event.objects.filter(
            related_content_type=content_type, related_object_id=object_id
        )
        subject = _describe(queryset) or f"{content_type.name} #{object_id}"
    kind = model._meta.verbose_name if model is not None else content_type.name
    return _render(
        request,
        model_admin,
        queryset,
        title=_("Timeline of %(kind)s “%(subject)s”") % {"kind": kind, "subject": subject},
        subject=subject,
        filter_query={
            "related_content_type__id__exact": content_type.pk,
            "related_object_id": stored_object_id(found.pk) if found is not None else object_id,
        },
    )


def user_timeline(
    request: HttpRequest, model_admin: ModelAdmin[Event], user_id: str
) -> HttpResponse:
    """The events of one user."""
    user_model = get_user_model()
    try:
        user = user_model._default_manager.get(pk=user_id)
    except (ObjectDoesNotExist, ValidationError, ValueError):
        raise Http404(_("No such user.")) from None
    subject = str(user.get_username())
    return _render(
        request,
        model_admin,
        Event.objects.for_user(user),
        title=_("Timeline of user “%(subject)s”") % {"subject": subject},
        subject=subject,
        filter_query={"user__id__exact": user.pk},
    )
