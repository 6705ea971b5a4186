"""The pytest plugin: registered by entry point, harmless before Django is configured."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from djangotailoring.handlers import EventHandler
from djangotailoring.testing import flush_events
from djangotailoring.tracking import create_event
from djangotailoring.tracking.models import Event


@pytest.mark.django_db
def test_captured_events_holds_the_tests_events(captured_events: list[Event]) -> None:
    event = create_event("DuringTheTest")
    assert captured_events == [event]


def test_captured_events_enables_the_database_itself(captured_events: list[Event]) -> None:
    create_event("NoMarkNeeded")
    assert [event.name for event in captured_events] == ["NoMarkNeeded"]


def test_captured_events_gets_the_handlers_events_on_flush(
    background_handler: EventHandler, captured_events: list[Event]
) -> None:
    logging.getLogger("app").info("Logged")
    flush_events()
    assert [event.name for event in captured_events] == ["Logged"]


def test_plugin_imports_without_settings_or_models() -> None:
    code = """
        import sys
        import djangotailoring.testing.fixtures
        import djangotailoring.testing
        assert "djangotailoring.tracking.models" not in sys.modules
        from django.conf import settings
        assert not settings.configured
        print("ok")
    """
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_plugin_is_registered_and_harmless_without_pytest_django(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(
        textwrap.dedent(
            """
            def test_plain(captured_events):
                assert captured_events == []
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "test_plain.py",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
