"""Views the request-context tests send real requests to."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import structlog
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.functional import empty

from djangotailoring.requestcontext import client_address, current_state
from djangotailoring.tracking import acreate_event, create_event

logger = logging.getLogger("tests.context")


def _current_id() -> str:
    state = current_state()
    return state.request_id if state is not None else "none"


def _chunk(number: int) -> str:
    logger.info("chunk %d", number)
    return _current_id() + "\n"


def plain(request: HttpRequest) -> HttpResponse:
    logger.info("plain view")
    return HttpResponse(_current_id())


def touch_user(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(request.user.is_authenticated))


def set_user(request: HttpRequest) -> HttpResponse:
    # What an authentication layer inside the view (e.g. DRF's token auth) does.
    request.user = User.objects.get(username=request.GET["as"])
    logger.info("authenticated late")
    return HttpResponse("ok")


def state(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"id": _current_id(), "remote_addr": client_address(request)})


def fails(request: HttpRequest) -> HttpResponse:
    raise ValueError("boom")


def stream(request: HttpRequest) -> StreamingHttpResponse:
    def chunks() -> Iterator[str]:
        try:
            for number in range(3):
                yield _chunk(number)
        finally:
            logger.info("body closed")

    return StreamingHttpResponse(chunks())


async def astream(request: HttpRequest) -> StreamingHttpResponse:
    async def chunks() -> AsyncIterator[str]:
        try:
            for number in range(3):
                yield _chunk(number)
        finally:
            logger.info("body closed")

    return StreamingHttpResponse(chunks())


async def aplain(request: HttpRequest) -> JsonResponse:
    logger.info("async view")
    user = request.user
    return JsonResponse({"id": _current_id(), "user_loaded": user._wrapped is not empty})


async def aloaded(request: HttpRequest) -> HttpResponse:
    await request.auser()
    logger.info("async view, user loaded")
    return HttpResponse("ok")


def record(request: HttpRequest) -> JsonResponse:
    event = create_event("ContextRecorded")
    return JsonResponse({"id": event.pk})


async def arecord(request: HttpRequest) -> JsonResponse:
    event = await acreate_event("ContextRecorded")
    return JsonResponse({"id": event.pk})


def structured(request: HttpRequest) -> HttpResponse:
    structlog.get_logger("tests.context").info("structured", answer=42)
    return HttpResponse("ok")


async def astructured(request: HttpRequest) -> JsonResponse:
    structlog.get_logger("tests.context").info("structured", answer=42)
    return JsonResponse({"user_loaded": request.user._wrapped is not empty})


def own_id(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("ok")
    response["X-Request-ID"] = "set-by-the-view"
    return response
