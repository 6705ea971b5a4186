"""Generic-relation targets with integer, UUID and string primary keys; denormalized fields."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import models

from djangotailoring.tracking.fields import (
    DenormalizedEventCountField,
    DenormalizedEventTimestampField,
    EventRelation,
    denormalize_event_data_for_type,
)
from djangotailoring.tracking.support import LatestEventMixin

if TYPE_CHECKING:
    from djangotailoring.tracking.models import Event


class IntTarget(models.Model):
    id = models.AutoField(primary_key=True)
    label = models.CharField(max_length=50, default="int")
    events = EventRelation(related_query_name="int_target")

    def __str__(self) -> str:
        return f"IntTarget {self.label}"


class BigIntTarget(models.Model):
    id = models.BigAutoField(primary_key=True)
    label = models.CharField(max_length=50, default="bigint")
    events = EventRelation()

    def __str__(self) -> str:
        return f"BigIntTarget {self.label}"


class UUIDTarget(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    label = models.CharField(max_length=50, default="uuid")
    events = EventRelation(related_query_name="uuid_target")

    def __str__(self) -> str:
        return f"UUIDTarget {self.label}"


class StrTarget(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    label = models.CharField(max_length=50, default="str")
    events = EventRelation(related_query_name="str_target")

    def __str__(self) -> str:
        return f"StrTarget {self.label}"


class Enrollment(LatestEventMixin, models.Model):
    """An object with a ``user`` attribute, for ``LatestEventMixin``."""

    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.CASCADE)

    def __str__(self) -> str:
        return f"Enrollment {self.pk}"


@denormalize_event_data_for_type(models.CharField)
def LastLessonField(event: Event) -> str:
    """The note of the user's latest ``LessonCompleted``."""
    return event.note


class LessonProgress(models.Model):
    """Per-user fields kept up to date from ``LessonCompleted`` events."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    course = models.CharField(max_length=50, default="course")
    last_completed = DenormalizedEventTimestampField("LessonCompleted")
    completed = DenormalizedEventCountField("LessonCompleted")
    last_lesson = LastLessonField("LessonCompleted", max_length=200, blank=True, default="")
    started = DenormalizedEventCountField("CourseStarted")

    def __str__(self) -> str:
        return f"LessonProgress {self.pk}"
