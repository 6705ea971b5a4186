"""The benchmark's article admin: an object page with its events inline."""

from __future__ import annotations

from django.contrib import admin

from benchmarks.benchapp.models import Article
from djangotailoring.tracking.admin import EventInline


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    inlines = [EventInline]
