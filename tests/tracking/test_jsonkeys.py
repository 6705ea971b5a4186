"""WithKey sets one top-level key of a JSON column with one UPDATE, on every backend."""

from __future__ import annotations

import pytest

from djangotailoring.tracking import create_event
from djangotailoring.tracking.jsonkeys import WithKey
from djangotailoring.tracking.models import Event


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", [{"pk": 3, "username": "ann"}, "text with 'quotes' and \"double\"", 12, None, [1, "a"]]
)
def test_key_is_set_and_other_keys_are_kept(value: object) -> None:
    event = create_event("E", data={"keep": {"nested": True}, "user": "old"})
    Event.objects.filter(pk=event.pk).update(data=WithKey("data", "user", value))
    event.refresh_from_db()
    assert event.data == {"keep": {"nested": True}, "user": value}


@pytest.mark.django_db
def test_key_is_added_to_an_empty_object() -> None:
    event = create_event("E")
    event.data = {}
    event.save()
    Event.objects.filter(pk=event.pk).update(data=WithKey("data", "user", {"pk": "a-b"}))
    event.refresh_from_db()
    assert event.data == {"user": {"pk": "a-b"}}


def test_a_key_that_is_not_an_identifier_is_refused() -> None:
    with pytest.raises(ValueError, match="identifier"):
        WithKey("data", "user'; drop", 1)


@pytest.mark.django_db
def test_an_unsupported_database_is_a_clear_error() -> None:
    from types import SimpleNamespace

    from django.db import NotSupportedError, connection

    compiler = Event.objects.all().query.get_compiler(connection=connection)
    elsewhere = SimpleNamespace(vendor="oracle")
    with pytest.raises(NotSupportedError, match="not supported on oracle"):
        WithKey("data", "user", 1).as_sql(compiler, elsewhere)  # type: ignore[arg-type]
