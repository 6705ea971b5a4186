"""``Event.data`` reads back exactly what was stored, through orjson or json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.models.fields.json import KeyTransform

from djangotailoring.tracking.eventdata import EventDataField
from djangotailoring.tracking.models import Event

pytestmark = pytest.mark.django_db

DOCUMENTS: list[Any] = [
    {},
    {"source": "seed", "n": 1, "f": 2.5, "none": None, "yes": True, "list": [1, "a", {"b": []}]},
    {"big": 123456789012345678901234567890, "negative": -9223372036854775809},
    {"max_u64": 18446744073709551615, "min_i64": -9223372036854775808},
    {"text": "ünïcödé ✓ \u2028", "digits": "12345678901234567890"},
    {"float": 0.1, "exp": 1e300, "tiny": 5e-324},
    [1, 2, 3],
    "a string",
    42,
]


def _as_json_decodes_it(pk: int) -> Any:
    """The stored text of ``data``, decoded by ``json`` as Django's ``JSONField`` does."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {Event._meta.db_table} WHERE id = %s", [pk])
        (text,) = cursor.fetchone()
    return json.loads(text)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_data_reads_back_as_json_decodes_it(document: Any) -> None:
    event = Event.objects.create(name="Data", data=document)
    loaded = Event.objects.get(pk=event.pk).data
    expected = _as_json_decodes_it(event.pk)
    # The same values of the same types (json.dumps tells 1e+300 from 10**300).
    assert json.dumps(loaded, sort_keys=True) == json.dumps(expected, sort_keys=True)
    if "exp" not in str(document):  # PostgreSQL's jsonb writes 1e300 as its 301 digits
        assert loaded == document


def test_key_lookups_and_values_are_unchanged() -> None:
    Event.objects.create(name="Data", data={"k": {"deep": [1, 2]}, "big": 10**30})
    assert Event.objects.filter(data__k__deep=[1, 2]).count() == 1
    assert list(Event.objects.values_list("data__k", flat=True)) == [{"deep": [1, 2]}]
    assert list(Event.objects.values_list("data", flat=True)) == [
        {"k": {"deep": [1, 2]}, "big": 10**30}
    ]


def test_what_orjson_refuses_is_decoded_by_json() -> None:
    field = EventDataField()
    assert field.from_db_value('{"x": NaN}', None, None)["x"] != 0  # NaN: json accepts it
    assert field.from_db_value('"\\ud800"', None, None) == "\ud800"
    assert field.from_db_value("not json", None, None) == "not json"  # as JSONField does
    assert field.from_db_value(None, None, None) is None
    # A KeyTransform's value that a backend already decoded is returned as it is.
    assert field.from_db_value(5, KeyTransform("k", "data"), None) == 5


def test_a_custom_decoder_is_used() -> None:
    class Upper(json.JSONDecoder):
        def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
            return {"decoded": super().decode(s)}

    field = EventDataField(decoder=Upper)
    assert field.from_db_value('{"a": 1}', None, None) == {"decoded": {"a": 1}}
