from __future__ import annotations

from django.urls import path

from tests.celerysite import views

urlpatterns = [
    path("record/", views.enqueue_record),
    path("retried/", views.enqueue_retried),
    path("order/", views.place_order),
]
