"""Views for the hand-over tests: each logs one record and remembers its request weakly."""

from __future__ import annotations

import logging
import weakref
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject
from rest_framework.authentication import (
    BasicAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger("app")
#: Weak references to the requests the views handled, newest last.
seen: list[weakref.ref[Any]] = []


def logs(request: HttpRequest) -> HttpResponse:
    seen.append(weakref.ref(request))
    logger.info("Logged", extra={"detail": {"items": [1, 2]}})
    return HttpResponse("ok")


async def alogs(request: HttpRequest) -> HttpResponse:
    seen.append(weakref.ref(request))
    logger.info("LoggedAsync")
    return HttpResponse("ok")


class BasicView(APIView):
    # The session layer runs first and finds nobody; basic authentication sets the user.
    authentication_classes = [SessionAuthentication, BasicAuthentication]
    renderer_classes = [JSONRenderer]

    def get(self, request: Request) -> Response:
        seen.append(weakref.ref(request._request))
        logger.info("LoggedByApi")
        return Response({"user": request.user.get_username()})


class TokenView(BasicView):
    authentication_classes = [SessionAuthentication, TokenAuthentication]


def late_lazy_user(request: HttpRequest) -> HttpResponse:
    """As a token middleware after ``AuthenticationMiddleware`` does: a lazy user of its own."""
    seen.append(weakref.ref(request))
    assert not request.user.is_authenticated  # the session layer found nobody
    username = request.headers["X-User"]
    request.user = SimpleLazyObject(  # type: ignore[assignment]
        lambda: get_user_model().objects.get(username=username)
    )
    logger.info("LoggedWithLateLazyUser")
    return HttpResponse("ok")
