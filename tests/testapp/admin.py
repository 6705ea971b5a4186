from __future__ import annotations

from django.contrib import admin

from djangotailoring.tracking.admin import EventInline
from tests.testapp.models import IntTarget


@admin.register(IntTarget)
class IntTargetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    inlines = [EventInline]
