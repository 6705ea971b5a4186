"""Shared pieces of the denormalized-field tests: the event name, two moments, fixtures."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.contrib.auth.models import User

from tests.testapp.models import LessonProgress

NAME = "LessonCompleted"
EARLY = datetime.datetime(2025, 1, 1, 12, tzinfo=datetime.timezone.utc)
LATE = EARLY + datetime.timedelta(days=30)


@pytest.fixture
def user() -> User:
    return User.objects.create_user(f"ann-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def progress(user: User) -> LessonProgress:
    return LessonProgress.objects.create(user=user)


def fresh(row: LessonProgress) -> LessonProgress:
    return LessonProgress.objects.get(pk=row.pk)
