from __future__ import annotations

from django.contrib import admin

from djangotailoring.tracking.admin import EventInline
from shop.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    inlines = [EventInline]
