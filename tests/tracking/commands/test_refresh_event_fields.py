"""``manage.py refresh_event_fields``: recompute denormalized fields from the events table."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from djangotailoring.tracking.models import Event
from tests.testapp.models import LessonProgress
from tests.tracking.denormalized import EARLY, LATE, NAME, fresh

pytestmark = pytest.mark.django_db


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def refresh(*args: str, stderr: io.StringIO | None = None) -> str:
    out = io.StringIO()
    call_command("refresh_event_fields", *args, stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


@pytest.fixture
def stale() -> list[LessonProgress]:
    """Rows of three users whose fields disagree with events imported without the ORM."""
    rows = []
    for index in range(3):
        user = User.objects.create_user(f"user{index}")
        rows.append(LessonProgress.objects.create(user=user, completed=99, last_lesson="old"))
        Event.objects.bulk_create(
            [Event(name=NAME, user=user, timestamp=EARLY, note=f"{index}-a")] * (index + 1)
            + [Event(name=NAME, user=user, timestamp=LATE, note=f"{index}-latest")]
        )
    rows.append(LessonProgress.objects.create(user=User.objects.create_user("idle"), started=5))
    return rows


def test_recomputes_every_field_from_the_events(stale: list[LessonProgress]) -> None:
    output = refresh("--batch-size", "2")
    got = [(r.completed, r.last_completed, r.last_lesson, r.started) for r in map(fresh, stale)]
    assert got == [
        (2, LATE, "0-latest", 0),
        (3, LATE, "1-latest", 0),
        (4, LATE, "2-latest", 0),
        (0, None, "", 0),
    ]
    assert "testapp.LessonProgress.completed: 3 of 4 rows changed." in output
    assert "testapp.LessonProgress.started: 1 of 4 rows changed." in output


def test_second_run_changes_nothing(stale: list[LessonProgress]) -> None:
    refresh()
    assert "testapp.LessonProgress.completed: 0 of 4 rows changed." in refresh()


def test_dry_run_reports_and_changes_nothing(stale: list[LessonProgress]) -> None:
    output = refresh("--dry-run")
    assert "testapp.LessonProgress.last_completed: 3 of 4 rows would change." in output
    assert "Dry run: nothing was changed." in output
    assert [fresh(r).completed for r in stale] == [99, 99, 99, 0]


def test_model_option_limits_the_refresh(stale: list[LessonProgress]) -> None:
    output = refresh("--model", "testapp.LessonProgress")
    assert fresh(stale[0]).completed == 2
    assert output.count("rows changed.") == 4


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("nope.Missing", "is not an installed model"),
        ("justaname", "is not an installed model"),
        ("testapp.IntTarget", "testapp.IntTarget has no denormalized event fields"),
    ],
)
def test_bad_model_label_is_a_clear_command_error(label: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        refresh("--model", label)


def test_bad_batch_size_is_a_command_error() -> None:
    with pytest.raises(CommandError):
        refresh("--batch-size", "0")


def test_progress_on_a_terminal_and_quiet_otherwise(stale: list[LessonProgress]) -> None:
    quiet = io.StringIO()
    refresh("--batch-size", "3", stderr=quiet)
    assert quiet.getvalue() == ""
    terminal = TerminalStream()
    refresh("--batch-size", "3", stderr=terminal)
    frames = terminal.getvalue().split("\r")[1:]
    assert [frame.split("] ")[1].strip() for frame in frames] == [
        "3/4 rows",
        "4/4 rows",
        "4/4 rows",
    ]
