"""The rotating-file recipe writes events to a file and rotates it by size."""

from __future__ import annotations

import logging.config
from pathlib import Path
from typing import Any

import pytest

from djangotailoring.tracking import create_event, create_events
from tests.docs.docfiles import load_logging

pytestmark = pytest.mark.django_db


def apply_recipe(log_file: Path, max_bytes: int | None = None) -> dict[str, Any]:
    config = load_logging("recipes/rotating_file.py")
    handler = config["handlers"]["events_file"]
    handler["filename"] = str(log_file)
    if max_bytes is not None:
        handler["maxBytes"] = max_bytes
    logging.config.dictConfig(config)
    return handler


def test_rotating_file_appends_one_line_per_event(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    log_file = tmp_path / "events.log"
    apply_recipe(log_file)
    with django_capture_on_commit_callbacks(execute=True):
        event = create_event("ReportExported", note="q3.csv")
    [line] = log_file.read_text(encoding="utf-8").splitlines()
    assert line.endswith(
        f"djangotailoring.tracking.events ReportExported | note='q3.csv' "
        f"timestamp={event.timestamp}"
    )


def test_rotating_file_rotates_and_keeps_backup_count(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    log_file = tmp_path / "events.log"
    handler = apply_recipe(log_file, max_bytes=400)
    with django_capture_on_commit_callbacks(execute=True):
        create_events({"name": f"Tick{number:03}"} for number in range(60))
    files = sorted(tmp_path.iterdir())
    assert len(files) == handler["backupCount"] + 1
    assert all(path.stat().st_size <= 400 for path in files)
    newest = log_file.read_text(encoding="utf-8")
    assert "Tick059" in newest
