"""studies/views.py"""

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.utils.html import format_html

from djangotailoring.tracking import EventNames, create_event

from .models import Study

audit = logging.getLogger("studies.audit")

FORM = (
    '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
    "<button>Join {}</button></form>"
)


@login_required
def join(request, pk):
    study = get_object_or_404(Study, pk=pk)
    if request.method != "POST":
        return HttpResponse(format_html(FORM, get_token(request), study))
    # 1. Create an event: saved at once (user and path from the request), logged on commit.
    create_event(EventNames.UserConsented, request, related_object=study)
    # 2. Log a record: EventHandler stores it as an event too, with its extras in data.
    audit.info(
        "Consent form v%d signed",
        3,
        extra={"event_name": "ConsentFormSigned", "related_object": study, "form": 3},
    )
    return HttpResponse(f"Thank you for joining {study}.")
