from __future__ import annotations

from django.urls import path

from tests import handover_views as views

urlpatterns = [
    path("logs/", views.logs),
    path("alogs/", views.alogs),
    path("api/basic/", views.BasicView.as_view()),
    path("api/token/", views.TokenView.as_view()),
    path("late-lazy/", views.late_lazy_user),
]
