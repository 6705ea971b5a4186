"""Application code that logs audit events, which EventHandler persists as Events."""

import logging

from django.http import HttpResponse

from djangotailoring.tracking import EventNames

audit = logging.getLogger("myapp.audit")


def accept_terms(request, study):
    audit.info(
        "Terms v%s accepted",
        3,
        extra={"event_name": EventNames.UserConsented, "related_object": study, "terms": 3},
    )
    return HttpResponse("Thank you.")


def send_reminder(participant):
    # Outside a request (a task, a command): name the user.
    audit.info("Reminder sent", extra={"event_name": EventNames.UserEmailSent, "user": participant})
