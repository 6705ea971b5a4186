"""Fixtures for EventHandler tests: handlers built by real ``dictConfig`` dicts."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from djangotailoring.handlers import EventHandler

HandlerFactory = Callable[..., EventHandler]


def logging_config(
    handler_options: dict[str, Any], loggers: tuple[str, ...] = ("app",), level: str = "DEBUG"
) -> dict[str, Any]:
    """The ``LOGGING`` dict a user would write to send ``loggers`` to an EventHandler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "events": {"class": "djangotailoring.handlers.EventHandler", **handler_options},
        },
        "loggers": {
            name: {"handlers": ["events"], "level": level, "propagate": False} for name in loggers
        },
    }


def configured_handler(loggers: tuple[str, ...] = ("app",)) -> EventHandler:
    """The EventHandler that ``dictConfig`` attached to the first of ``loggers``."""
    logger = logging.getLogger(loggers[0]) if loggers[0] != "root" else logging.getLogger()
    return next(h for h in logger.handlers if isinstance(h, EventHandler))


@pytest.fixture
def spill_path(tmp_path: Path) -> str:
    """A spill file of the test's own."""
    return str(tmp_path / "spill" / "events.jsonl")


@pytest.fixture
def journal_dir(tmp_path: Path) -> str:
    """A journal folder of the test's own (no test replays another's journal)."""
    return str(tmp_path / "journal")


@pytest.fixture
def event_handler(
    transactional_db: None, spill_path: str, journal_dir: str
) -> Iterator[HandlerFactory]:
    """Configure logging with an EventHandler (``handler(**options)``); closed after the test.

    Requested after ``transactional_db`` so that the handler is closed (its writer stopped,
    its connection closed) before the database is flushed.
    """
    created: list[EventHandler] = []

    def make(loggers: tuple[str, ...] = ("app",), **options: Any) -> EventHandler:
        options.setdefault("spill_path", spill_path)
        options.setdefault("journal_dir", journal_dir)
        config = logging_config(options, loggers)
        if "root" in loggers:
            config["root"] = config["loggers"].pop("root")
        logging.config.dictConfig(config)
        handler = configured_handler(loggers)
        created.append(handler)
        return handler

    yield make
    for handler in created:
        handler.close()


class Outage:
    """Makes the handlers' database unreachable (``down()``) and reachable again (``up()``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from djangotailoring.handlers.eventstore import EventStore, Unavailable

        self.is_down = False
        self.attempts = 0
        original = EventStore.write

        def write(store: EventStore, batch_id: str, events: Any) -> bool:
            if self.is_down:
                self.attempts += 1
                store.close()
                raise Unavailable("connection refused (simulated outage)")
            return original(store, batch_id, events)

        monkeypatch.setattr(EventStore, "write", write)

    def down(self) -> None:
        self.is_down = True

    def up(self) -> None:
        self.is_down = False


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch) -> Outage:
    """Switch the database off and on for EventHandler (every backend)."""
    return Outage(monkeypatch)
