"""Benchmark models: a target for generic relations and an object with a ``user``."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from djangotailoring.tracking.fields import EventRelation
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
