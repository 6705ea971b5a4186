"""Views of the example shop."""

from __future__ import annotations

import logging

import structlog
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect

from djangotailoring.tracking import EventNames, create_event
from djangotailoring.tracking.decorators import log_page_view
from shop.models import Product

audit = logging.getLogger("shop.audit")
structured = structlog.get_logger("shop.audit")


@log_page_view
def product(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Product, pk=pk)
    return HttpResponse(f"<h1>{item.name}</h1>")


@log_page_view
def old_shop(request: HttpRequest) -> HttpResponse:
    return redirect("/products/1/")


@login_required
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Product, pk=pk)
    event = create_event(EventNames.UserConsented, request, related_object=item)
    return JsonResponse({"event": event.pk})


@login_required
def buy(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Product, pk=pk)
    # Two ordinary log calls that EventHandler persists as Events: stdlib and structlog.
    audit.info("Cart updated", extra={"event_name": "CartUpdated", "related_object": item})
    structured.info("OrderPlaced", related_object=item, quantity=2, note="paid by card")
    return JsonResponse({"ok": True})
