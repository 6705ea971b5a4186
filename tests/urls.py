from __future__ import annotations

from django.contrib import admin
from django.urls import path

from tests import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("record/", views.record_event, name="record"),
    path("arecord/", views.arecord_event, name="arecord"),
]
