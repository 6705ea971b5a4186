"""The code shown on the "Events" page."""

from django.db.models import Count

from djangotailoring.tracking import EventNames, create_event, create_events
from djangotailoring.tracking.models import Event


def record_export(request, report, row_count):
    return create_event(
        "ReportExported",
        request,
        related_object=report,
        data={"rows": row_count, "format": "csv"},
    )


def backfill_signup(user, joined_at):
    return create_event(EventNames.UserCreated, user=user, timestamp=joined_at)


def record_reminders(users):
    return create_events(
        {"name": EventNames.UserEmailSent, "user": user, "note": "reminder"} for user in users
    )


def logins_between(user, start, end):
    return Event.objects.for_user(user).named(EventNames.UserLoggedIn).between(start, end)


def events_of_request(request_id):
    return Event.objects.filter(data__request__id=request_id)


def event_counts_by_name(since):
    return (
        Event.objects.since(since)
        .values("name")
        .annotate(count=Count("id"))
        .order_by("-count", "name")
    )
