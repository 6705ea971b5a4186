from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from shop import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="shop/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("products/<int:pk>/consent/", views.consent, name="consent"),
    path("products/<int:pk>/", views.product, name="product"),
    path("products/<int:pk>/buy/", views.buy, name="buy"),
    path("old-shop/", views.old_shop, name="old-shop"),
]
