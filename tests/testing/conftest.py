"""Fixtures of the test-helper tests: an EventHandler built by a real ``dictConfig``."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import pytest

from djangotailoring.handlers import EventHandler


@pytest.fixture
def background_handler(transactional_db: None, tmp_path: Path) -> Iterator[EventHandler]:
    """An EventHandler for the logger ``app`` that writes only when flushed (or closed)."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "events": {
                    "class": "djangotailoring.handlers.EventHandler",
                    "flush_interval": 60,
                    "spill_path": str(tmp_path / "spill.jsonl"),
                    "journal_dir": str(tmp_path / "journal"),
                }
            },
            "loggers": {"app": {"handlers": ["events"], "level": "INFO", "propagate": False}},
        }
    )
    [handler] = logging.getLogger("app").handlers
    assert isinstance(handler, EventHandler)
    yield handler
    handler.close()
