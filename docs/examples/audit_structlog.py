"""The same kind of audit event, logged with structlog."""

import structlog
from django.http import HttpResponse

from djangotailoring.tracking import EventNames

log = structlog.get_logger("myapp.audit")


def withdraw(request, study):
    log.info(
        "Participant withdrew",
        event_name=EventNames.UserWithdrawn,
        related_object=study,
        reason="moved away",
    )
    return HttpResponse("Goodbye.")
