"""The rows EventStore writes: COPY (PostgreSQL) and INSERT give the same Events.

A batch of ``COPY_FROM`` events or more goes to PostgreSQL by ``COPY`` in its text format,
built by hand (timestamps, escaping, links, JSON); a smaller batch, and every batch on the
other databases, by ``INSERT`` with parameters. Both must store exactly the same thing.
"""

from __future__ import annotations

import datetime
import enum
import math
import random
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings

from djangotailoring.handlers import eventstore
from djangotailoring.handlers.eventstore import COPY_CHUNK, COPY_FROM, EventStore
from djangotailoring.handlers.pacing import no_pacing
from djangotailoring.handlers.preparing import prepare
from djangotailoring.sanitizing import REPLACEMENT, json_safe
from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget, UUIDTarget

NOW = 1_767_000_000.0

TRICKY_TEXTS = [
    "",
    "plain",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "back\\slash \\N \\\\ end",
    "escape \x1b and bell \x07",
    "caf\u00e9 \u2028 \U0001f600",
    "\\.",
]


def timestamp_of_line(line: str) -> str:
    return line.split("\t")[1]


def expected_stamp(created: float, *, local_time: bool) -> str:
    zone = None if local_time else datetime.timezone.utc
    moment = datetime.datetime.fromtimestamp(created, zone).replace(tzinfo=None)
    return moment.isoformat(" ", timespec="microseconds") + ("" if local_time else "+00")


@pytest.mark.parametrize("local_time", [False, True])
def test_copy_timestamps_are_those_of_datetime_fromtimestamp(local_time: bool) -> None:
    rng = random.Random(20_000)
    values = [NOW + rng.uniform(-5e8, 5e8) for _ in range(5000)]
    values += [NOW + step / 1e6 for step in range(-1500, 1500)]
    # Rounding half to even, carries into the next second, negative timestamps, integers.
    values += [NOW + 0.9999995, NOW + 0.0000005, NOW + 0.4999995, 0.0, 5e-7, 1.5e-6, 2.5e-6]
    values += [-1.3, -5e-7, -1.9999999, -86_400.25, 1_767_000_000]
    events = [
        {"created": value, "name": "n", "note": "", "data": {}, "user": None, "related": None}
        for value in values
    ]
    text = eventstore._CopyText({}, {}, local_time=local_time, uuid_hex=False)
    lines = text.lines(events, no_pacing).splitlines()
    assert [timestamp_of_line(line) for line in lines] == [
        expected_stamp(value, local_time=local_time) for value in values
    ]


def test_copy_lines_escape_only_where_needed_chunk_by_chunk() -> None:
    calls = []
    events = [
        {
            "created": NOW + i,
            "name": "Name",
            "note": TRICKY_TEXTS[i % len(TRICKY_TEXTS)] if i >= 5 else f"note {i}",
            "data": {"text": TRICKY_TEXTS[i % len(TRICKY_TEXTS)]},
            "user": None,
            "related": None,
        }
        for i in range(40)
    ]
    text = eventstore._CopyText({}, {}, local_time=False, uuid_hex=False)
    plain = text.lines(events[:5], lambda: calls.append(1))
    tricky = text.lines(events[5:], lambda: calls.append(1))
    assert len(calls) == 40
    for block, chunk in ((plain, events[:5]), (tricky, events[5:])):
        lines = block.split("\n")
        assert lines.pop() == ""
        assert len(lines) == len(chunk)
        for line, event in zip(lines, chunk, strict=True):
            fields = line.split("\t")
            assert len(fields) == 7
            assert fields[0] == "Name"
            assert fields[2] == eventstore._copy_field(event["note"])
            assert fields[3:5] == ["\\N", "\\N"]
            assert fields[6] == "\\N"


def prepared_events(count: int, *, users: list[Any], related: list[Any]) -> list[dict[str, Any]]:
    events = []
    for i in range(count):
        tricky = TRICKY_TEXTS[i % len(TRICKY_TEXTS)]
        event: dict[str, Any] = {
            "created": NOW + i * 0.0123457,
            "name": f"Name {tricky}"[:100] if i % 3 == 0 else "Name",
            "note": f"{tricky} {i}",
            "user": users[i % len(users)],
            "related": related[i % len(related)],
            "data": {
                "logger": "app",
                "level": "INFO",
                "extra": {"text": tricky, "quote": 'say "hi"', "n": i, "f": 0.5, "none": None},
            },
        }
        if i % 7 == 0:
            event["data"]["extra"]["huge"] = 2**70
        events.append(event)
    return events


def stored_rows() -> list[tuple[Any, ...]]:
    return [
        (
            event.name,
            event.note,
            event.timestamp,
            event.user_id,
            event.related_content_type_id,
            event.related_object_id,
            event.data,
        )
        for event in Event.objects.order_by("pk")
    ]


def write_both_ways(
    events: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    store = EventStore()
    try:
        assert store.write(uuid.uuid4().hex, events)
        copied = stored_rows()
        Event.objects.all().delete()
        # Every batch by INSERT.
        monkeypatch.setattr(eventstore, "COPY_FROM", len(events) + 1)
        assert store.write(uuid.uuid4().hex, events)
        inserted = stored_rows()
    finally:
        store.close()
    return copied, inserted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("use_tz", [True, False])
def test_copy_and_insert_store_the_same_events(
    monkeypatch: pytest.MonkeyPatch, use_tz: bool
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    user = User.objects.create(username="copied")
    target = IntTarget.objects.create(label="int")
    uuid_target = UUIDTarget.objects.create(label="uuid")
    users = [None, user.pk, 987_654, "not a key", None]
    related = [
        None,
        ("testapp", "inttarget", str(target.pk)),
        # As read back from JSON (a journal or a spill file): a list.
        ["testapp", "uuidtarget", str(uuid_target.pk)],
        ("testapp", "nosuchmodel", "1"),
        None,
    ]
    # More than one COPY chunk, with escapes in some chunks only.
    events = prepared_events(COPY_CHUNK + 57, users=users, related=related)
    events[: COPY_CHUNK // 2] = [
        {**event, "name": "Plain", "note": f"plain {i}"}
        for i, event in enumerate(events[: COPY_CHUNK // 2])
    ]
    with override_settings(USE_TZ=use_tz):
        copied, inserted = write_both_ways(events, monkeypatch)
    assert len(copied) == len(events)
    assert copied == inserted
    assert [row[0] for row in copied] == [event["name"] for event in events]
    assert [row[1] for row in copied] == [event["note"] for event in events]
    assert {row[3] for row in copied} == {None, user.pk}
    unknown = [row[6] for row in copied if "user" in row[6]]
    assert {data["user"] for data in unknown} == {987_654, "not a key"}
    assert copied[1][4] is not None
    assert copied[1][5] == str(target.pk)
    assert copied[2][4] is not None
    assert copied[2][5] == str(uuid_target.pk)
    assert copied[3][4:6] == (None, None)


@pytest.mark.django_db(transaction=True)
def test_copy_keeps_timestamps_to_the_microsecond() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    created = [NOW + i * 0.1234567 for i in range(COPY_FROM + 5)]
    events = [
        {"created": value, "name": "Stamp", "note": "", "data": {}, "user": None, "related": None}
        for value in created
    ]
    store = EventStore()
    try:
        assert store.write(uuid.uuid4().hex, events)
    finally:
        store.close()
    stored = list(Event.objects.order_by("pk").values_list("timestamp", flat=True))
    assert stored == [datetime.datetime.fromtimestamp(v, datetime.timezone.utc) for v in created]


def handed(**fields: Any) -> dict[str, Any]:
    return {"created": NOW, "logger": "app", "level": "INFO", "message": "Message", **fields}


def test_prepare_takes_related_as_a_list_from_json() -> None:
    event = prepare(handed(related=["testapp", "inttarget", "7"], related_description="x"))  # type: ignore[arg-type]
    assert event["related"] == ["testapp", "inttarget", "7"]
    assert event["data"]["related_object"] == "x"


def test_prepare_cleans_only_what_needs_it() -> None:
    event = prepare(handed(logger="app\x00x", event_name="A\x00", note="n" * 300))  # type: ignore[arg-type]
    assert event["data"]["logger"] == f"app{REPLACEMENT}x"
    assert event["name"] == f"A{REPLACEMENT}"
    assert len(event["note"]) == 255
    assert event["data"]["original"] == {"name": "A\\u0000", "note": "n" * 300}
    plain = prepare(handed(note="caf\u00e9"))  # type: ignore[arg-type]
    assert (plain["name"], plain["note"]) == ("Message", "caf\u00e9")
    assert "original" not in plain["data"]


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    __slots__ = ()


def test_json_safe_fast_paths_keep_their_results() -> None:
    assert json_safe("ascii") == "ascii"
    assert json_safe("nul\x00") == f"nul{REPLACEMENT}"
    assert json_safe("lone \ud800") == f"lone {REPLACEMENT}"
    assert type(json_safe(Text("sub"))) is str
    assert json_safe(Level.HIGH) == 3
    assert type(json_safe(Level.HIGH)) is int
    assert json_safe(2**63) == str(2**63)
    assert json_safe(-(2**63)) == -(2**63)
    assert json_safe(math.nan) == "nan"
    assert json_safe(True) is True
    assert json_safe(None) is None
    loop: list[Any] = [1]
    loop.append(loop)
    assert json_safe({"a": (1, "x\x00"), 2: loop}) == {
        "a": [1, f"x{REPLACEMENT}"],
        "2": [1, "<recursion>"],
    }
