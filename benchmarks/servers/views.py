"""The measured pages: one SELECT and one recorded ``PageViewed`` per request.

The case (``settings.RECORD``) decides how ``PageViewed`` is recorded: one
``logging.getLogger("bench.requests").info(...)`` call, whatever handler ``LOGGING`` gives
that logger, or one ``create_event()`` (``acreate_event()`` in the async view).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from benchmarks.servers import gcstats
from benchmarks.servers.site.models import Page
from djangotailoring.tracking import acreate_event, create_event

logger = logging.getLogger("bench.requests")
SLUG = "page-07"
CREATE_EVENT = settings.RECORD == "create_event"


def page_sync(request: HttpRequest) -> HttpResponse:
    gcstats.note_request(request.META.get("HTTP_X_BENCH_PHASE"))
    title = Page.objects.filter(slug=SLUG).values_list("title", flat=True).first()
    if CREATE_EVENT:
        create_event("PageViewed", request=request)
    else:
        logger.info("PageViewed", extra={"note": f"sync {title}"})
    return HttpResponse(title or "", content_type="text/plain")


async def page_async(request: HttpRequest) -> HttpResponse:
    gcstats.note_request(request.META.get("HTTP_X_BENCH_PHASE"))
    title = await Page.objects.filter(slug=SLUG).values_list("title", flat=True).afirst()
    if CREATE_EVENT:
        await acreate_event("PageViewed", request=request)
    else:
        logger.info("PageViewed", extra={"note": f"async {title}"})
    return HttpResponse(title or "", content_type="text/plain")


def ready(request: HttpRequest) -> HttpResponse:
    """Answered without a query or a log call: the runner polls it until the server is up."""
    return HttpResponse("ok", content_type="text/plain")
