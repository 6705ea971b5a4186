"""URLs for the tests of automatic events (``@pytest.mark.urls("tests.auto_urls")``)."""

from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import path

from tests import auto_views

urlpatterns = [
    path("login/", auto_views.PlainLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="/"), name="logout"),
    path("fn/status/", auto_views.status_view),
    path("fn/raise/", auto_views.raising_view),
    path("fn/stream/", auto_views.streaming_view),
    path("afn/status/", auto_views.astatus_view),
    path("afn/raise/", auto_views.araising_view),
    path("afn/stream/", auto_views.astreaming_view),
    path("cbv/status/", auto_views.StatusView.as_view()),
    path("cbv/raise/", auto_views.RaisingView.as_view()),
    path("cbv/stream/", auto_views.StreamingView.as_view()),
    path("acbv/status/", auto_views.AsyncStatusView.as_view()),
    path("acbv/raise/", auto_views.AsyncRaisingView.as_view()),
]
