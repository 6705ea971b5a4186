"""URLs that serve the views shown in the documentation."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import path

from tests.docs.docfiles import load
from tests.testapp.models import IntTarget

quickstart = load("examples/quickstart.py")
audit = load("examples/audit.py")
audit_structlog = load("examples/audit_structlog.py")


def study_view(
    view: Callable[[HttpRequest, IntTarget], HttpResponse],
) -> Callable[..., HttpResponse]:
    """The documented ``view(request, study)`` behind a URL with the study's primary key."""

    def with_study(request: HttpRequest, pk: int) -> HttpResponse:
        return view(request, IntTarget.objects.get(pk=pk))

    return with_study


urlpatterns = [
    path("studies/<int:pk>/consent/", study_view(quickstart["consent"])),
    path("studies/<int:pk>/terms/", study_view(audit["accept_terms"])),
    path("studies/<int:pk>/withdraw/", study_view(audit_structlog["withdraw"])),
]
