"""Views that enqueue the tasks of :mod:`tests.celerysite.app`; the body is the task id."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from tests.celerysite.app import record, retried


def enqueue_record(request: HttpRequest) -> HttpResponse:
    return HttpResponse(record.delay().id)


def place_order(request: HttpRequest) -> HttpResponse:
    from djangotailoring.tracking import create_event

    create_event("OrderPlaced", request)
    return HttpResponse(record.delay().id)


def enqueue_retried(request: HttpRequest) -> HttpResponse:
    return HttpResponse(retried.delay().id)
