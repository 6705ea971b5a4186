"""Views the tests send real requests to."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from djangotailoring.tracking import acreate_event, create_event


def record_event(request: HttpRequest) -> HttpResponse:
    event = create_event(request.GET.get("name", "Recorded"), request)
    return JsonResponse({"id": event.pk})


async def arecord_event(request: HttpRequest) -> HttpResponse:
    event = await acreate_event(request.GET.get("name", "Recorded"), request)
    return JsonResponse({"id": event.pk})
