"""The write-path cases: one way each of recording ``n`` events, and how to count what was stored.

Every case records the same event: name ``PageViewed``, a note ``item <i>``, no user. The
logging cases call ``logger.info("PageViewed", extra={"note": ...})``; the ORM cases write
the row that :func:`~djangotailoring.tracking.create_event` writes.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.rounds import Timing

NAME = "PageViewed"
DATA = {"source": "benchmark"}


def _tables() -> list[str]:
    from django_db_logger.models import StatusLog
    from pinax.eventlog.models import Log

    from djangotailoring.tracking.models import Event

    return [Event._meta.db_table, StatusLog._meta.db_table, Log._meta.db_table]


def clear_tables() -> None:
    """Empty the tables every case writes to, so each run starts from the same state."""
    tables = _tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def count_events() -> int:
    """Rows of the event table with the benchmark's event name."""
    from djangotailoring.tracking.models import Event

    return Event.objects.filter(name=NAME).count()


def eventhandler_available() -> bool:
    """Whether this checkout has ``djangotailoring.handlers.EventHandler``."""
    return importlib.util.find_spec("djangotailoring.handlers.eventhandler") is not None


class Case:
    """A way of recording events; subclasses fill in :meth:`record` and :meth:`stored`."""

    key = ""
    label = ""
    #: Whether :meth:`stored` counts real rows (the floor case stores nothing).
    counts_rows = True

    def reset(self) -> None:
        clear_tables()

    def record(self, n: int) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Wait until everything recorded is stored (no-op for synchronous cases)."""

    def run(self, n: int) -> Timing:
        start = time.perf_counter()
        self.record(n)
        returned = time.perf_counter()
        self.finish()
        done = time.perf_counter()
        return Timing(caller=returned - start, total=done - start)

    def stored(self) -> int | None:
        return count_events()

    def details(self) -> dict[str, Any]:
        """What the case can tell about its last run beyond the row count."""
        return {}

    def close(self) -> None:
        """Release what the case holds (handlers, files)."""


class LoggingCase(Case):
    """``logger.info`` through one handler, which is made anew (untimed) for every run."""

    def __init__(self) -> None:
        self.logger = logging.getLogger(f"benchmarks.{self.key}")
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        self.handler: logging.Handler | None = None

    def make_handler(self) -> logging.Handler:
        raise NotImplementedError

    def reset(self) -> None:
        self.drop_handler()
        super().reset()
        self.handler = self.make_handler()
        self.logger.addHandler(self.handler)

    def record(self, n: int) -> None:
        info = self.logger.info
        for i in range(n):
            info(NAME, extra={"note": f"item {i}"})

    def finish(self) -> None:
        assert self.handler is not None
        self.handler.flush()

    def drop_handler(self) -> None:
        if self.handler is not None:
            self.logger.removeHandler(self.handler)
            self.handler.close()
            self.handler = None

    def close(self) -> None:
        self.drop_handler()


class NullHandlerCase(LoggingCase):
    key = "null"
    label = "logging.NullHandler (floor)"

    def make_handler(self) -> logging.Handler:
        return logging.NullHandler()

    counts_rows = False

    def stored(self) -> int | None:
        return None


class FileHandlerCase(LoggingCase):
    key = "file"
    label = "logging.FileHandler"

    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.TemporaryDirectory(prefix="djangotailoring-bench-")
        self.path = os.path.join(self.directory.name, "events.log")

    def make_handler(self) -> logging.Handler:
        if os.path.exists(self.path):
            os.remove(self.path)
        handler = logging.FileHandler(self.path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        return handler

    def stored(self) -> int | None:
        with open(self.path, encoding="utf-8") as stream:
            return sum(1 for line in stream if NAME in line)

    def close(self) -> None:
        super().close()
        self.directory.cleanup()


class DbLoggerCase(LoggingCase):
    key = "db_logger"
    label = "django-db-logger handler"

    def make_handler(self) -> logging.Handler:
        from django_db_logger.db_log_handler import DatabaseLogHandler

        return DatabaseLogHandler()

    def stored(self) -> int | None:
        from django_db_logger.models import StatusLog

        return StatusLog.objects.filter(msg=NAME).count()


class PinaxCase(Case):
    key = "pinax"
    label = "pinax-eventlog log()"

    def record(self, n: int) -> None:
        from pinax.eventlog.models import log

        for i in range(n):
            log(None, NAME, extra={"note": f"item {i}"})

    def stored(self) -> int | None:
        from pinax.eventlog.models import Log

        return Log.objects.filter(action=NAME).count()


class OrmCreateCase(Case):
    key = "orm_create"
    label = "Event.objects.create (raw ORM)"

    def record(self, n: int) -> None:
        from djangotailoring.tracking.models import Event

        create = Event.objects.create
        for i in range(n):
            create(name=NAME, note=f"item {i}", data=dict(DATA))


class BulkCreateCase(Case):
    key = "bulk_create"
    label = "Event bulk_create x500"
    batch_size = 500

    def record(self, n: int) -> None:
        from djangotailoring.tracking.models import Event

        for start in range(0, n, self.batch_size):
            # Each batch commits on its own, like a batching writer would.
            batch = [
                Event(name=NAME, note=f"item {i}", data=dict(DATA))
                for i in range(start, min(n, start + self.batch_size))
            ]
            Event.objects.bulk_create(batch)


class CopyCase(Case):
    key = "copy"
    label = "PostgreSQL COPY (ceiling)"

    def record(self, n: int) -> None:
        from djangotailoring.tracking.models import Event

        data = json.dumps(DATA)
        sql = f"COPY {Event._meta.db_table} (name, timestamp, note, data) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for i in range(n):
                copy.write_row((NAME, timezone.now(), f"item {i}", data))


class CreateEventCase(Case):
    key = "create_event"
    label = "ours: create_event"

    def record(self, n: int) -> None:
        from djangotailoring.tracking import create_event

        for i in range(n):
            create_event(NAME, note=f"item {i}", data=DATA)


class EventHandlerCase(LoggingCase):
    """Ours: ``EventHandler``, immediate (synchronous) or with its background writer.

    Its spill file and journal live in a folder of the case's own, so a spilled or
    journaled record is never replayed into another run. ``queue_size`` is the handler's
    option (``None``: its default).
    """

    def __init__(self, key: str, label: str, **options: Any) -> None:
        self.key, self.label, self.options = key, label, options
        self.directory = tempfile.TemporaryDirectory(prefix="djangotailoring-bench-")
        self.spill_path = os.path.join(self.directory.name, "spill.jsonl")
        super().__init__()

    def make_handler(self) -> logging.Handler:
        from djangotailoring.handlers import EventHandler

        if os.path.exists(self.spill_path):
            os.remove(self.spill_path)
        options = dict(self.options)
        if not options.get("immediate"):
            options.setdefault("journal_dir", os.path.join(self.directory.name, "journal"))
        handler: logging.Handler = EventHandler(spill_path=self.spill_path, **options)
        return handler

    def spilled(self) -> int:
        """Records in the spill file (each line is one record)."""
        if not os.path.exists(self.spill_path):
            return 0
        with open(self.spill_path, encoding="utf-8") as stream:
            return sum(1 for line in stream if line.strip())

    def details(self) -> dict[str, Any]:
        stats = getattr(self.handler, "stats", None)
        facts = {} if stats is None else dataclasses.asdict(stats)
        return {**facts, "spill_file_records": self.spilled()}

    def close(self) -> None:
        super().close()
        self.directory.cleanup()


class SpillingEventHandlerCase(EventHandlerCase):
    """Ours with every default: a burst beyond ``queue_size`` goes to the spill file.

    Verified as: rows stored plus records in the spill file equal the events sent, and the
    handler's ``spilled`` counter agrees with the file (nothing lost, nothing hidden).
    """

    def stored(self) -> int | None:
        spilled = self.spilled()
        stats = getattr(self.handler, "stats", None)
        if stats is None or stats.spilled != spilled or stats.dropped:
            return -1
        return count_events() + spilled


def eventhandler_cases(n: int) -> list[Case]:
    """Ours through logging: immediate and background.

    When the default ``queue_size`` cannot hold a burst of ``n`` records, the background case
    gets a queue that can, and a third case keeps every default (and spills the overflow).
    """
    from djangotailoring.handlers import EventHandler

    default_queue_size = inspect.signature(EventHandler).parameters["queue_size"].default
    cases: list[Case] = [
        EventHandlerCase("eventhandler_immediate", "ours: EventHandler (immediate)", immediate=True)
    ]
    # The journal is on by default; the same handler without it is measured beside it.
    cases.append(
        EventHandlerCase(
            "eventhandler_background_nojournal",
            "ours: EventHandler (background, journal=False)",
            journal=False,
            queue_size=max(n, default_queue_size),
        )
    )
    if n <= default_queue_size:
        cases.append(EventHandlerCase("eventhandler_background", "ours: EventHandler (background)"))
        return cases
    return [
        *cases,
        EventHandlerCase(
            "eventhandler_background",
            f"ours: EventHandler (background, queue_size={n:,})",
            queue_size=n,
        ),
        SpillingEventHandlerCase(
            "eventhandler_background_defaults",
            f"ours: EventHandler (background, default queue_size={default_queue_size:,})",
        ),
    ]


#: Every write case's key (``--cases`` picks among them); ``copy`` runs on PostgreSQL only.
CASE_KEYS = (
    "null",
    "file",
    "db_logger",
    "pinax",
    "orm_create",
    "bulk_create",
    "copy",
    "create_event",
    "eventhandler_immediate",
    "eventhandler_background_nojournal",
    "eventhandler_background",
    "eventhandler_background_defaults",
)


def build_cases(vendor: str, n: int) -> list[Case]:
    """The cases that apply to ``vendor``, ours last."""
    cases: list[Case] = [
        NullHandlerCase(),
        FileHandlerCase(),
        DbLoggerCase(),
        PinaxCase(),
        OrmCreateCase(),
        BulkCreateCase(),
    ]
    if vendor == "postgresql":
        cases.append(CopyCase())
    cases.append(CreateEventCase())
    if eventhandler_available():
        cases += eventhandler_cases(n)
    return cases


def insert_counts(action: Callable[[], Any]) -> dict[str, int]:
    """Run ``action`` once and count its statements: INSERTs, savepoint statements, the rest."""
    with CaptureQueriesContext(connection) as captured:
        action()
    statements = [query["sql"].lstrip().upper() for query in captured.captured_queries]
    savepoints = [s for s in statements if s.startswith(_SAVEPOINT_STATEMENTS)]
    return {
        "inserts": sum(1 for s in statements if s.startswith("INSERT")),
        "queries": len(statements) - len(savepoints),
        "savepoints": len(savepoints),
    }


_SAVEPOINT_STATEMENTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
