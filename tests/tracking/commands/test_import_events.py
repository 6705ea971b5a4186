"""``manage.py import_events`` loads what ``export_events`` wrote, once, and refuses bad input
with the line that is wrong (events before it stay imported; a second run skips them)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings

from djangotailoring.tracking import create_event
from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget

pytestmark = pytest.mark.django_db


def import_file(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_events", str(path), *args, stdout=out)
    return out.getvalue()


def exported(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    call_command("export_events", "-o", str(path), stdout=io.StringIO())
    return path


def line(**fields: Any) -> str:
    row = {"id": 7, "timestamp": "2026-01-02T03:04:05+00:00", "name": "Imported", **fields}
    return json.dumps(row)


def test_round_trip_keeps_ids_links_and_data_and_skips_what_is_there(tmp_path: Path) -> None:
    ann = User.objects.create_user("ann")
    target = IntTarget.objects.create(label="t")
    made = [
        create_event("A", user=ann, related_object=target, data={"k": [1, 2]}, note="n"),
        create_event("B"),
    ]
    path = exported(tmp_path)
    before = list(Event.objects.order_by("id").values())
    Event.objects.all().delete()
    assert "Imported 2 events into 'default' (0 were there already)" in import_file(path)
    assert list(Event.objects.order_by("id").values()) == before
    assert "Imported 0 events into 'default' (2 were there already)" in import_file(path)
    assert Event.objects.get(pk=made[0].pk).related_object == target
    # The id sequence is past the imported ids.
    assert create_event("After").pk > made[-1].pk


def test_a_user_that_is_not_there_is_kept_in_data(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(line(user=424242, username="gone", data={"k": 1}) + "\n")
    import_file(source)
    event = Event.objects.get()
    assert event.user_id is None
    assert event.data == {"k": 1, "user": {"pk": 424242, "username": "gone"}}


def test_unknown_content_types_and_malformed_keys_leave_the_link_empty(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        line(id=1, related_content_type="gone.model", related_object_id="3", user="x")
        + "\n"
        + line(id=2, related_content_type="nodot")
        + "\n\n"
    )
    import_file(source, "--batch-size", "1")
    assert list(Event.objects.values_list("related_content_type_id", "user_id")) == [
        (None, None),
        (None, None),
    ]


def test_reads_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(line() + "\n"))
    assert "Imported 1 events" in import_file(Path("-"))
    assert Event.objects.get().name == "Imported"


@override_settings(USE_TZ=False)
def test_aware_timestamps_become_naive_without_time_zones(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(line() + "\n")
    import_file(source)
    assert Event.objects.get().timestamp.tzinfo is None


def test_naive_timestamps_are_read_as_utc(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(line(timestamp="2026-01-02T03:04:05") + "\n")
    import_file(source)
    assert Event.objects.get().timestamp.isoformat() == "2026-01-02T03:04:05+00:00"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "line 2 is not JSON"),
        ("[1, 2]", "line 2 is not an exported event"),
        (json.dumps({"id": 9, "name": "x"}), "line 2 is not an exported event"),
        (line(id=0), "line 2: id must be a positive integer"),
        (line(id=True), "line 2: id must be a positive integer"),
        (line(timestamp="yesterday"), "line 2: timestamp 'yesterday' is not ISO 8601"),
        (line(timestamp="2026-13-01T00:00:00"), "line 2: timestamp .* is not ISO 8601"),
        (line(data=[1]), "line 2: data must be a JSON object"),
    ],
)
def test_a_bad_line_stops_with_its_number_and_what_was_imported(
    tmp_path: Path, bad: str, message: str
) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text(line(id=1) + "\n" + bad + "\n" + line(id=3) + "\n")
    with pytest.raises(CommandError, match=message):
        import_file(source, "--batch-size", "1")
    # The batch before the bad line is in; nothing of the bad line or after it.
    assert list(Event.objects.values_list("id", flat=True)) == [1]


def test_a_missing_file_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        import_file(tmp_path / "missing.jsonl")
