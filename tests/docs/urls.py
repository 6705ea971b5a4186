"""URLs that serve the views shown in the documentation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from tests.docs.docfiles import load
from tests.testapp.models import IntTarget

quickstart = load("examples/quickstart.py")


def consent(request: HttpRequest, pk: int) -> HttpResponse:
    response: HttpResponse = quickstart["consent"](request, IntTarget.objects.get(pk=pk))
    return response


urlpatterns = [path("studies/<int:pk>/consent/", consent)]
