"""studies/admin.py"""

from django.contrib import admin

from djangotailoring.tracking.admin import EventInline

from .models import Study


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    inlines = [EventInline]
