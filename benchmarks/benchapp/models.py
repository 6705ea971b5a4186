"""Benchmark models: a generic-relation target, objects with a ``user``, denormalized counts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from djangotailoring.tracking.fields import DenormalizedEventCountField, EventRelation
from djangotailoring.tracking.support import LatestEventMixin


class Article(models.Model):
    """Something events are related to, for ``Event.events_related_to``."""

    title = models.CharField(max_length=100)
    events = EventRelation()

    def __str__(self) -> str:
        return self.title


class Enrollment(LatestEventMixin, models.Model):
    """An object with a ``user``, for ``LatestEventMixin.latest_event``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    def __str__(self) -> str:
        return f"Enrollment {self.pk}"


class CountedProfile(models.Model):
    """Ours: one ``DenormalizedEventCountField`` following ``ProfileVisited``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    visits = DenormalizedEventCountField("ProfileVisited")

    def __str__(self) -> str:
        return f"CountedProfile {self.pk}"


class NaiveProfile(models.Model):
    """The original app's way: a plain field that a ``post_save`` receiver recounts and saves."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    visits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"NaiveProfile {self.pk}"
