"""The benchmark project's URLs: one sync and one async page, and a readiness probe."""

from __future__ import annotations

from django.urls import path

from benchmarks.servers import views

urlpatterns = [
    path("sync/", views.page_sync),
    path("async/", views.page_async),
    path("ready/", views.ready),
]
