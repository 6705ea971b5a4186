from __future__ import annotations

from django.urls import path

from tests import context_views as views

urlpatterns = [
    path("plain/", views.plain),
    path("touch-user/", views.touch_user),
    path("set-user/", views.set_user),
    path("state/", views.state),
    path("fails/", views.fails),
    path("stream/", views.stream),
    path("astream/", views.astream),
    path("aplain/", views.aplain),
    path("aloaded/", views.aloaded),
    path("record/", views.record),
    path("arecord/", views.arecord),
    path("own-id/", views.own_id),
    path("structured/", views.structured),
    path("astructured/", views.astructured),
]
