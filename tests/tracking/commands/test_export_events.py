"""``manage.py export_events``: JSON lines or CSV, filtered, streamed, round-tripping."""

from __future__ import annotations

import csv
import datetime
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from djangotailoring.tracking.management.commands.export_events import (
    CHUNK_SIZE,
    COLUMNS,
    keyset_pages,
)
from djangotailoring.tracking.management.progress import Progress
from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget, StrTarget, UUIDTarget

pytestmark = pytest.mark.django_db

UTC = datetime.timezone.utc


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def at(day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2024, 3, day, hour, 30, 15, 123456, tzinfo=UTC)


def export(*args: str, stderr: io.StringIO | None = None) -> str:
    out = io.StringIO()
    call_command("export_events", *args, stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def label(event: Event) -> str | None:
    if event.related_content_type_id is None:
        return None
    model = ContentType.objects.get_for_id(event.related_content_type_id)
    return f"{model.app_label}.{model.model}"


def expected(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "timestamp": event.timestamp.isoformat(),
        "name": event.name,
        "user": event.user_id,
        "username": event.user.username if event.user else None,
        "note": event.note,
        "related_content_type": label(event),
        "related_object_id": event.related_object_id,
        "data": event.data,
    }


@pytest.fixture
def events() -> list[Event]:
    alice = User.objects.create_user("alice")
    bob = User.objects.create_user("bob")
    made = [
        Event.objects.create(
            name="UserLoggedIn", user=alice, timestamp=at(1), note="from the login page"
        ),
        Event.objects.create(
            name="UserConsented",
            user=bob,
            timestamp=at(2),
            related_object=IntTarget.objects.create(label="study"),
            data={"nested": {"list": [1, 2.5, None, True], "text": 'Grüße, 世界 "quoted"'}},
        ),
        Event.objects.create(
            name="PageViewed",
            timestamp=at(3),
            note='comma, "quote"\nnewline',
            related_object=UUIDTarget.objects.create(),
        ),
        Event.objects.create(
            name="PageViewed",
            user=alice,
            timestamp=at(3, 18),
            related_object=StrTarget.objects.create(id="key-Ä/1"),
        ),
    ]
    return [Event.objects.select_related("user").get(pk=event.pk) for event in made]


def test_jsonl_round_trip_gives_the_same_events(events: list[Event]) -> None:
    assert jsonl(export()) == [expected(event) for event in events]


def test_jsonl_is_the_default_and_has_one_object_per_line(events: list[Event]) -> None:
    lines = export().splitlines()
    assert len(lines) == len(events)
    assert all(list(json.loads(line)) == list(COLUMNS) for line in lines)


def test_csv_round_trip_gives_the_same_events(events: list[Event]) -> None:
    rows = list(csv.DictReader(io.StringIO(export("--format", "csv"))))
    assert [tuple(row) for row in rows[:1]] == [COLUMNS]
    for row, event in zip(rows, events, strict=True):
        want = expected(event)
        assert int(row["id"]) == want["id"]
        assert datetime.datetime.fromisoformat(row["timestamp"]) == event.timestamp
        assert row["timestamp"] == want["timestamp"]
        assert row["name"] == want["name"]
        assert row["user"] == ("" if event.user_id is None else str(event.user_id))
        assert row["username"] == (want["username"] or "")
        assert row["note"] == want["note"]
        assert row["related_content_type"] == (want["related_content_type"] or "")
        assert row["related_object_id"] == (want["related_object_id"] or "")
        assert json.loads(row["data"]) == want["data"]


def test_output_file_gets_the_export_and_stdout_a_summary(
    events: list[Event], tmp_path: Path
) -> None:
    target = tmp_path / "events.jsonl"
    output = export("--output", str(target))
    assert jsonl(target.read_text(encoding="utf-8")) == [expected(event) for event in events]
    assert output == f"Exported {len(events)} events to {target}.\n"


def test_output_dash_means_stdout(events: list[Event]) -> None:
    assert len(jsonl(export("--output", "-"))) == len(events)


def test_unwritable_output_is_a_command_error(events: list[Event], tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot write"):
        export("--output", str(tmp_path / "missing-dir" / "events.jsonl"))


def names_of(text: str) -> list[tuple[str, str]]:
    return [(row["name"], row["timestamp"][:10]) for row in jsonl(text)]


def test_since_date_is_inclusive(events: list[Event]) -> None:
    assert names_of(export("--since", "2024-03-02")) == [
        ("UserConsented", "2024-03-02"),
        ("PageViewed", "2024-03-03"),
        ("PageViewed", "2024-03-03"),
    ]


def test_until_date_includes_that_whole_day(events: list[Event]) -> None:
    assert [row["id"] for row in jsonl(export("--until", "2024-03-03"))] == [
        event.pk for event in events
    ]
    assert len(jsonl(export("--until", "2024-03-02"))) == 2


def test_until_datetime_is_inclusive(events: list[Event]) -> None:
    exact = events[2].timestamp.isoformat()
    assert [row["id"] for row in jsonl(export("--until", exact))] == [
        event.pk for event in events[:3]
    ]


def test_since_and_until_together(events: list[Event]) -> None:
    rows = jsonl(export("--since", "2024-03-02", "--until", "2024-03-03T13:00:00+00:00"))
    assert [row["id"] for row in rows] == [events[1].pk, events[2].pk]


def test_name_is_repeatable(events: list[Event]) -> None:
    rows = jsonl(export("--name", "UserLoggedIn", "--name", "UserConsented"))
    assert [row["name"] for row in rows] == ["UserLoggedIn", "UserConsented"]


@pytest.mark.parametrize("by", ["username", "pk"])
def test_user_by_username_or_primary_key(events: list[Event], by: str) -> None:
    alice = User.objects.get(username="alice")
    value = alice.username if by == "username" else str(alice.pk)
    rows = jsonl(export("--user", value))
    assert [row["id"] for row in rows] == [events[0].pk, events[3].pk]
    assert {row["username"] for row in rows} == {"alice"}


def test_unknown_user_is_a_command_error(events: list[Event]) -> None:
    with pytest.raises(CommandError, match="No user with username or id 'nobody'"):
        export("--user", "nobody")


@pytest.mark.parametrize(
    "args",
    [("--format", "xml"), ("--since", "last week"), ("--until", "2024-03-32")],
)
def test_bad_arguments_are_command_errors(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        export(*args)


def test_no_progress_when_stderr_is_not_a_terminal(events: list[Event]) -> None:
    stderr = io.StringIO()
    export(stderr=stderr)
    assert stderr.getvalue() == ""


def test_progress_bar_on_stderr_when_it_is_a_terminal() -> None:
    total = CHUNK_SIZE + 5
    Event.objects.bulk_create(Event(name="E", timestamp=at(1)) for _ in range(total))
    stderr = TerminalStream()
    stdout = export(stderr=stderr)
    frames = stderr.getvalue().split("\r")[1:]
    assert frames[0].endswith(f"] {CHUNK_SIZE}/{total} events")
    assert frames[-1].endswith(f"] {total}/{total} events\n")
    assert frames[-1].startswith("[" + "#" * Progress.WIDTH + "]")
    assert "\r" not in stdout
    assert len(jsonl(stdout)) == total


def test_empty_table_exports_nothing() -> None:
    assert export() == ""
    assert export("--format", "csv").splitlines() == [",".join(COLUMNS)]


def test_keyset_pages_yield_every_row_once_in_order() -> None:
    same = at(5)
    Event.objects.bulk_create(
        [Event(name=f"E{i}", timestamp=same if i % 2 else at(6, i)) for i in range(23)]
    )
    values = Event.objects.order_by("timestamp", "id").values_list("id", "timestamp", "name")
    assert list(keyset_pages(values, 4)) == list(values)


def _peak_export_memory(tmp_path: Path) -> int:
    tracemalloc.start()
    try:
        export("--output", str(tmp_path / "out.jsonl"))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_export_memory_does_not_grow_with_the_number_of_events(tmp_path: Path) -> None:
    data = {"payload": "x" * 200}
    Event.objects.bulk_create(Event(name="E", timestamp=at(1), data=data) for _ in range(4_000))
    small = _peak_export_memory(tmp_path)
    Event.objects.bulk_create(Event(name="E", timestamp=at(2), data=data) for _ in range(36_000))
    large = _peak_export_memory(tmp_path)
    # Ten times the events; a buffering export would need about ten times the memory.
    assert large < small * 2, (small, large)


def export_with(**options: object) -> str:
    out = io.StringIO()
    call_command("export_events", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_keyword_options_are_parsed_like_the_command_line(events: list[Event]) -> None:
    alice = User.objects.get(username="alice")
    rows = jsonl(
        export_with(
            since="2024-03-01", until=datetime.date(2024, 3, 3), name="PageViewed", user=alice.pk
        )
    )
    assert [row["id"] for row in rows] == [events[3].pk]


def test_keyword_csv_format(events: list[Event]) -> None:
    assert export_with(format="csv").splitlines()[0] == ",".join(COLUMNS)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "xml"}, "--format must be one of jsonl, csv"),
        ({"since": "soon"}, "--since: 'soon' is not an ISO 8601 date"),
    ],
)
def test_bad_keyword_options_are_command_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        export_with(**options)
