"""The code shown in the quickstart."""

from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone

from djangotailoring.tracking import EventNames, create_event
from djangotailoring.tracking.models import Event


def consent(request, study):
    create_event(EventNames.UserConsented, request, related_object=study)
    return HttpResponse("Thank you.")


def consents_this_week(study):
    week_ago = timezone.now() - timedelta(days=7)
    return Event.objects.related_to(study).named(EventNames.UserConsented).since(week_ago)
