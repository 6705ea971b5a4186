"""Views of the example shop."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404

from djangotailoring.tracking import EventNames, create_event
from shop.models import Product


@login_required
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    event = create_event(EventNames.UserConsented, request, related_object=product)
    return JsonResponse({"event": event.pk})
