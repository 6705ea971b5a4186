"""Property-based tests: create_event with arbitrary, hostile input.

Bad input (per the contract) raises InvalidEventError and saves nothing; anything else is
saved in a storable form on every database (PostgreSQL refuses NUL characters and lone
surrogates), with the original kept in ``data["original"]``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djangotailoring.sanitizing import REPLACEMENT, clean_text
from djangotailoring.tracking import InvalidEventError, create_event
from djangotailoring.tracking.models import Event

pytestmark = pytest.mark.django_db

# Every code point, including NUL and lone surrogates, from every plane.
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=400)
HOSTILE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def recursive_list() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | ANY_TEXT
    | st.builds(Unprintable)
    | st.builds(pow, st.just(10), st.just(5000))
    | st.builds(recursive_list),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(ANY_TEXT | st.integers(), children, max_size=4)
    ),
    max_leaves=12,
)


def is_bad_name(name: str) -> bool:
    return not name.strip() or len(name) > 100


def save_or_error(**kwargs: Any) -> Event | None:
    """Create inside a savepoint so that a database error would surface, not poison the test."""
    try:
        with transaction.atomic():
            return create_event(**kwargs)
    except InvalidEventError:
        return None


@HOSTILE
@given(name=ANY_TEXT)
def test_any_name_is_saved_storably_or_rejected(name: str) -> None:
    before = Event.objects.count()
    event = save_or_error(name=name)
    if is_bad_name(name):
        assert event is None
        assert Event.objects.count() == before
        return
    assert event is not None
    stored = Event.objects.get(pk=event.pk)
    assert stored.name == clean_text(name)
    assert "\x00" not in stored.name
    if stored.name != name:
        assert REPLACEMENT in stored.name
        assert "original" in stored.data


@HOSTILE
@given(note=ANY_TEXT)
def test_any_note_is_saved_storably_or_rejected(note: str) -> None:
    before = Event.objects.count()
    event = save_or_error(name="Noted", note=note)
    if len(note) > 255:
        assert event is None
        assert Event.objects.count() == before
        return
    assert event is not None
    assert Event.objects.get(pk=event.pk).note == clean_text(note)


@HOSTILE
@given(data=st.dictionaries(ANY_TEXT, JSONISH, max_size=5))
def test_any_data_is_stored_json_safe(data: dict[Any, Any]) -> None:
    event = save_or_error(name="WithData", data=data)
    assert event is not None
    stored = Event.objects.get(pk=event.pk)
    assert isinstance(stored.data, dict)
    assert len(stored.data) <= len(data)
    assert "\x00" not in repr(stored.data)


@HOSTILE
@given(value=st.one_of(st.integers(), st.floats(), st.binary(), st.lists(st.integers())))
def test_non_text_names_are_type_errors(value: object) -> None:
    with pytest.raises(TypeError):
        create_event(value)  # type: ignore[arg-type]
    assert not Event.objects.exists()
