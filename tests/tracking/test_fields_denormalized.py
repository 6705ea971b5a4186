"""The denormalized event field classes: options, migrations, checks, the decorator."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from djangotailoring.tracking.fields import (
    DenormalizedEventCountField,
    DenormalizedEventFieldMixin,
    DenormalizedEventTimestampField,
    denormalize_event_data_for_type,
)
from tests.testapp.models import LastLessonField, LessonProgress


@pytest.mark.parametrize(
    ("field_class", "kwargs"),
    [
        (DenormalizedEventTimestampField, {"null": True, "blank": True}),
        (DenormalizedEventCountField, {"default": 0}),
    ],
)
def test_deconstruct_round_trips_with_the_event_name(
    field_class: type[Any], kwargs: dict[str, Any]
) -> None:
    field = field_class("LessonCompleted")
    _, path, args, deconstructed = field.deconstruct()
    assert path == f"djangotailoring.tracking.fields.{field_class.__name__}"
    assert (args, deconstructed) == (["LessonCompleted"], kwargs)
    assert field_class(*args, **deconstructed).eventname == "LessonCompleted"


def test_field_types_are_those_of_the_spec() -> None:
    assert isinstance(LessonProgress._meta.get_field("last_completed"), models.DateTimeField)
    assert isinstance(LessonProgress._meta.get_field("completed"), models.PositiveIntegerField)


def test_decorator_makes_a_field_class_named_after_the_function() -> None:
    field = LessonProgress._meta.get_field("last_lesson")
    assert isinstance(field, LastLessonField)
    assert isinstance(field, models.CharField)
    assert isinstance(field, DenormalizedEventFieldMixin)
    assert (LastLessonField.__module__, LastLessonField.__name__) == (
        "tests.testapp.models",
        "LastLessonField",
    )
    assert field.get_value(type("E", (), {"note": "lesson 3"})()) == "lesson 3"  # type: ignore[attr-defined]


def test_mixin_default_value_is_none_and_last_one_wins() -> None:
    @denormalize_event_data_for_type(models.IntegerField)
    def Level(event: Any) -> int:
        return 0

    mixin = DenormalizedEventFieldMixin.get_value(Level("X"), object())  # type: ignore[arg-type]
    assert mixin is None
    assert Level("X").combine([1, 3, 2]) == 2  # type: ignore[attr-defined]


def test_valid_model_passes_the_checks() -> None:
    assert LessonProgress.check() == []


@isolate_apps("tests.testapp")
@pytest.mark.parametrize(
    ("user_field", "problem"),
    [
        (None, "it has no 'user' field"),
        (models.CharField(max_length=10), "its 'user' field is not a foreign key"),
        (
            models.ForeignKey("testapp.Team", on_delete=models.CASCADE),
            "its 'user' field does not point to AUTH_USER_MODEL",
        ),
    ],
)
def test_field_on_a_model_without_a_user_foreign_key_is_e040(
    user_field: models.Field[Any, Any] | None, problem: str
) -> None:
    type("Team", (models.Model,), {"__module__": "tests.testapp.models"})
    attrs: dict[str, Any] = {
        "__module__": "tests.testapp.models",
        "logins": DenormalizedEventCountField("UserLoggedIn"),
    }
    if user_field is not None:
        attrs["user"] = user_field
    model = type("Orphan", (models.Model,), attrs)
    errors = [e for e in model.check() if isinstance(e, checks.Error)]
    assert [e.id for e in errors] == ["djangotailoring.E040"]
    assert problem in errors[0].msg
