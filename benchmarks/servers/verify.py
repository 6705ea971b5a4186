"""Emptying the tables before a run and checking, after it, that every request was recorded.

Events are compared with the ids of the 2xx responses wrk recorded, **by request id**
(``data->'request'->>'id'``): an id wrk saw answered without its row is *missing*, an id
with more than one row is a *duplicate*. A row whose id wrk never recorded is *unrecorded*:
the response of a request still in flight when wrk stopped is never seen by wrk, so up to
one per connection and wrk run is expected. django-db-logger's rows and the FileHandler's
lines carry no request id; they are counted.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from benchmarks.databases import PostgresServer

TABLES = ("tracking_event", "django_db_logger_statuslog")
#: Cases whose rows are compared by request id, and cases counted.
BY_ID = {"eventhandler", "create_event"}
COUNTED = {"file", "db_logger"}


def connect(server: PostgresServer) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(
        dbname=server.name,
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        autocommit=True,
    )


def truncate(server: PostgresServer) -> None:
    with connect(server) as connection:
        connection.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")


@dataclass
class Verification:
    """What was stored for the requests wrk saw answered."""

    method: str  # "by id", "lines", "rows", "n/a"
    expected: int
    stored: int | None = None
    missing: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unrecorded: int = 0
    without_id: int = 0
    allowed_unrecorded: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "expected": self.expected,
            "stored": self.stored,
            "missing": len(self.missing),
            "missing_sample": self.missing[:10],
            "duplicates": len(self.duplicates),
            "duplicate_sample": self.duplicates[:10],
            "unrecorded": self.unrecorded,
            "without_id": self.without_id,
            "allowed_unrecorded": self.allowed_unrecorded,
            "passed": self.passed,
            "problems": self.problems,
        }


def stored_count(server: PostgresServer, case: str, log_file: str) -> int | None:
    """How many records the case has stored so far (``None``: it stores nothing)."""
    if case == "file":
        if not os.path.exists(log_file):
            return 0
        with open(log_file, "rb") as stream:
            return sum(1 for _ in stream)
    if case == "null":
        return None
    table = "django_db_logger_statuslog" if case == "db_logger" else "tracking_event"
    with connect(server) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def wait_for_rows(
    server: PostgresServer, case: str, log_file: str, expected: int, timeout: float
) -> tuple[int | None, float]:
    """Wait until ``expected`` records are stored (or ``timeout``); return count and wait."""
    started = time.monotonic()
    count = stored_count(server, case, log_file)
    while count is not None and count < expected and time.monotonic() - started < timeout:
        time.sleep(0.05)
        count = stored_count(server, case, log_file)
    return count, time.monotonic() - started


def verify(
    server: PostgresServer, case: str, log_file: str, ids: list[str], allowed_unrecorded: int
) -> Verification:
    """Compare what the case stored with the request ids of the 2xx responses."""
    if case == "null":
        return Verification("n/a", len(ids))
    if case in COUNTED:
        method = "lines" if case == "file" else "rows"
        result = Verification(method, len(ids), allowed_unrecorded=allowed_unrecorded)
        stored = stored_count(server, case, log_file) or 0
        result.stored = stored
        if stored < len(ids):
            result.problems.append(f"{len(ids) - stored:,} {method} missing")
        result.unrecorded = max(0, stored - len(ids))
        if result.unrecorded > allowed_unrecorded:
            result.problems.append(
                f"{result.unrecorded:,} {method} more than answered requests "
                f"(at most {allowed_unrecorded} expected)"
            )
        return result
    with connect(server) as connection:
        rows = connection.execute(
            "SELECT data->'request'->>'id', count(*) FROM tracking_event GROUP BY 1"
        ).fetchall()
    stored_ids = Counter({key: int(count) for key, count in rows})
    result = Verification("by id", len(ids), allowed_unrecorded=allowed_unrecorded)
    result.without_id = stored_ids.pop(None, 0)
    result.stored = sum(stored_ids.values()) + result.without_id
    answered = Counter(ids)
    result.missing = sorted(key for key in answered if key not in stored_ids)
    result.duplicates = sorted(key for key, count in stored_ids.items() if count > 1)
    result.unrecorded = sum(1 for key in stored_ids if key not in answered)
    repeated = sorted(key for key, count in answered.items() if count > 1)
    if result.missing:
        result.problems.append(
            f"{len(result.missing):,} request ids without an Event "
            f"(e.g. {', '.join(result.missing[:3])})"
        )
    if result.duplicates:
        result.problems.append(
            f"{len(result.duplicates):,} request ids with more than one Event "
            f"(e.g. {', '.join(result.duplicates[:3])})"
        )
    if result.without_id:
        result.problems.append(f"{result.without_id:,} Events without a request id")
    if result.unrecorded > allowed_unrecorded:
        result.problems.append(
            f"{result.unrecorded:,} Events of requests wrk never saw answered "
            f"(at most {allowed_unrecorded} expected)"
        )
    if repeated:
        result.problems.append(f"wrk recorded {len(repeated):,} ids twice (benchmark bug)")
    return result
