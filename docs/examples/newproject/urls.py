"""mysite/urls.py"""

from django.contrib import admin
from django.urls import path
from studies import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("studies/<int:pk>/join/", views.join, name="join"),
]
