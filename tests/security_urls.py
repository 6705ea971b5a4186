from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import path

from djangotailoring.tracking import create_event


def record(request: HttpRequest) -> HttpResponse:
    create_event("Recorded", request, note=request.GET.get("note"))
    return HttpResponse("ok")


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="security_login.html")),
    path("record/", record),
]
