"""Operations on the read path's large table (PostgreSQL): export, prune, partition.

After the reads, on the same table:

1. ``export_events`` of the oldest N events for each N of ``export_sizes``, each in a child
   process whose peak resident memory (``ru_maxrss``, from ``wait4``) is its own;
2. ``prune_events --before`` the oldest ``prune_events`` events, once per batch size, timing
   every batch's transaction (its locks are held from its first statement until its commit)
   while a second connection watches ``pg_locks`` for the locks the pruning backend holds on
   the table; as many events are then copied back in, so the next step sees the full size;
3. the partitioning recipe (``docs/recipes/partition_events.py``) converts the table, timing
   each of its statements, and one month is pruned by dropping its partition.
"""

from __future__ import annotations

import datetime
import gc
import io
import os
import random
import re
import runpy
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction

from benchmarks.seeding import EVENTS_TABLE, Seeded, copy_events

RECIPE = Path(__file__).resolve().parent.parent / "docs" / "recipes" / "partition_events.py"
LOCK_POLL_SECONDS = 0.002
LOCK_TARGET_SECONDS = 0.1


def _scalar(sql: str, params: list[Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def _count(where: str = "TRUE", params: list[Any] | None = None) -> int:
    return int(_scalar(f"SELECT count(*) FROM {EVENTS_TABLE} WHERE {where}", params))


def nth_oldest(n: int) -> datetime.datetime:
    """The timestamp of the ``n``-th oldest event (1-based), found through the time index."""
    return _scalar(  # type: ignore[no-any-return]
        f'SELECT "timestamp" FROM {EVENTS_TABLE} ORDER BY "timestamp", id OFFSET %s LIMIT 1',
        [n - 1],
    )


# --- export ------------------------------------------------------------------------------


def _run_child(command: list[str]) -> tuple[int, float, float]:
    """Run ``command``; return its exit status, wall seconds and peak RSS in MiB."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux.
    return child.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024


def export(sizes: list[int], total: int, progress: Callable[[str], None]) -> list[dict[str, Any]]:
    """``export_events --until`` the ``n``-th oldest event, for each ``n`` (0: none)."""
    results = []
    with tempfile.TemporaryDirectory(prefix="djangotailoring-export-") as directory:
        for size in sizes:
            until = nth_oldest(size) if size else nth_oldest(1) - datetime.timedelta(days=1)
            expected = _count('"timestamp" <= %s', [until])
            path = os.path.join(directory, f"events-{size}.jsonl")
            progress(f"export_events of {expected:,} events")
            command = [sys.executable, "-m", "django", "export_events", "--output", path]
            status, seconds, peak = _run_child([*command, "--until", until.isoformat()])
            with open(path, "rb") as stream:
                rows = sum(1 for _ in stream)
            results.append(
                {
                    "size": size,
                    "expected": expected,
                    "rows": rows,
                    "status": status,
                    "seconds": seconds,
                    "bytes": os.path.getsize(path),
                    "peak_rss_mib": peak,
                }
            )
            os.remove(path)
    return results


# --- prune -------------------------------------------------------------------------------


class LockWatch:
    """From a connection of its own, the longest time one backend held a lock on the table.

    Polls ``pg_locks``; a lock mode counts as held from the first poll that sees it to the
    first that does not, so each interval is known to within one poll. Each poll also reads
    the backend's wait event, counted while it holds ``RowExclusiveLock``.
    """

    def __init__(self, backend_pid: int) -> None:
        self.backend_pid = backend_pid
        self.longest: dict[str, float] = {}
        self.polls = 0
        # What the backend was doing (pg_stat_activity's wait event) at each poll that saw it
        # hold RowExclusiveLock (a DELETE's lock, held until its commit or rollback).
        self.waits: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        import psycopg

        settings = connection.settings_dict
        with psycopg.connect(
            dbname=settings["NAME"],
            host=settings["HOST"],
            port=settings["PORT"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            autocommit=True,
        ) as watcher:
            since: dict[str, float] = {}
            while not self._stop.is_set():
                modes, waiting = watcher.execute(
                    "SELECT (SELECT array_agg(mode) FROM pg_locks WHERE pid = %s AND granted "
                    "AND relation = %s::regclass), (SELECT wait_event_type || ':' || wait_event "
                    "FROM pg_stat_activity WHERE pid = %s)",
                    [self.backend_pid, EVENTS_TABLE, self.backend_pid],
                ).fetchone()
                held = set(modes or ())
                now = time.perf_counter()
                self.polls += 1
                if "RowExclusiveLock" in held:
                    self.waits[waiting or "running"] += 1
                for mode in held - since.keys():
                    since[mode] = now
                for mode in since.keys() - held:
                    self._end(mode, now - since.pop(mode))
                time.sleep(LOCK_POLL_SECONDS)
            now = time.perf_counter()
            for mode, start in since.items():
                self._end(mode, now - start)

    def _end(self, mode: str, seconds: float) -> None:
        self.longest[mode] = max(self.longest.get(mode, 0.0), seconds)

    def __enter__(self) -> LockWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def transaction_timer(
    transactions: list[float],
    statements: dict[str, list[float]],
    commits: list[float] | None = None,
) -> Iterator[None]:
    """Time each committed transaction from its first statement until its commit, each
    statement by its first word (``SELECT``, ``DELETE``, ``SET``; a statement cancelled at
    the lock budget too), and (into ``commits``) the time from a transaction's last
    statement until its commit had returned."""
    opened: list[float] = []
    last_end: list[float] = [0.0]

    def committed() -> None:
        now = time.perf_counter()
        transactions.append(now - opened.pop())
        if commits is not None:
            commits.append(now - last_end[0])

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        # A transaction's first statement: ``committed`` is not waiting for its commit yet
        # (a rolled-back transaction, a batch cancelled at the lock budget, drops it).
        if connection.in_atomic_block and not any(
            entry[1] is committed for entry in connection.run_on_commit
        ):
            opened[:] = [started]
            transaction.on_commit(committed)
        try:
            return execute(sql, params, many, context)
        finally:
            last_end[0] = time.perf_counter()
            kind = sql.split(None, 1)[0].upper()
            statements.setdefault(kind, []).append(last_end[0] - started)

    with connection.execute_wrapper(timed):
        yield


@contextmanager
def gc_pauses(pauses: list[tuple[int, float]]) -> Iterator[None]:
    """Record every collection of this process's garbage collector as (generation, seconds)."""
    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses.append((info["generation"], time.perf_counter() - started.pop()))

    gc.callbacks.append(callback)
    try:
        yield
    finally:
        gc.callbacks.remove(callback)


def prune(
    seeded: Seeded,
    count: int,
    batch: tuple[int, bool, bool],
    rng: random.Random,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """``prune_events`` of the oldest ``count`` events, then copy as many new ones back.

    ``batch`` is the batch size, whether commits wait for the WAL flush (the server's
    ``synchronous_commit``) or not (``off`` for this session), and whether the command keeps
    to its lock budget (its default) or not (``--lock-budget 0``: fixed batches, no
    statement timeout, as the command was before it had a budget).
    """
    from django.core.management import call_command

    batch_size, synchronous, budgeted = batch

    before = nth_oldest(count + 1)
    expected, total = _count('"timestamp" < %s', [before]), _count()
    progress(f"prune_events of {expected:,} of {total:,} events")
    transactions: list[float] = []
    statements: dict[str, list[float]] = {}
    commits: list[float] = []
    pauses: list[tuple[int, float]] = []
    out = io.StringIO()
    connection.ensure_connection()
    if not synchronous:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
    with LockWatch(connection.connection.info.backend_pid) as watch:
        started = time.perf_counter()
        with transaction_timer(transactions, statements, commits), gc_pauses(pauses):
            call_command(
                "prune_events",
                "--before",
                before.isoformat(),
                "--batch-size",
                str(batch_size),
                *(() if budgeted else ("--lock-budget", "0")),
                stdout=out,
            )
        seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("RESET synchronous_commit")
    after = _count()
    progress(f"copying {total - after:,} events back")
    started = time.perf_counter()
    copy_events(seeded, total - after, rng)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {EVENTS_TABLE}")
    refill = time.perf_counter() - started
    return {
        "events_before": total,
        "expected": expected,
        "deleted": total - after,
        "batch_size": batch_size,
        "synchronous_commit": synchronous,
        "lock_budget": budgeted,
        "cancelled_batches": _cancelled(out.getvalue()),
        "output": out.getvalue().strip(),
        "seconds": seconds,
        "batches": len(transactions),
        "longest_transaction_ms": max(transactions, default=0.0) * 1000,
        "median_transaction_ms": _median(transactions) * 1000,
        "over_target": sum(1 for seconds in transactions if seconds > LOCK_TARGET_SECONDS),
        "transactions_ms": [seconds * 1000 for seconds in transactions],
        "longest_statement_ms": {
            kind: max(durations) * 1000 for kind, durations in sorted(statements.items())
        },
        "watched_longest_lock_ms": {
            mode: held * 1000 for mode, held in sorted(watch.longest.items())
        },
        "watch_polls": watch.polls,
        "waits_while_deleting": dict(watch.waits.most_common(10)),
        "longest_commit_ms": max(commits, default=0.0) * 1000,
        "commits_ms": [seconds * 1000 for seconds in commits],
        "gc_collections": len(pauses),
        "longest_gc_pause_ms": max((seconds for _, seconds in pauses), default=0.0) * 1000,
        "full_collections": sum(1 for generation, _ in pauses if generation == 2),
        "refill_seconds": refill,
        "events_after_refill": _count(),
    }


def _cancelled(output: str) -> int:
    """How many batches the command says went over its lock budget."""
    found = re.search(r"(\d+) batch\(es\) went over", output)
    return int(found.group(1)) if found else 0


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


# --- partition ---------------------------------------------------------------------------


def partition(progress: Callable[[str], None]) -> dict[str, Any]:
    """Convert the table with the recipe, then drop the partition of one whole month."""
    from django.apps import apps

    recipe = runpy.run_path(str(RECIPE))
    total = _count()
    progress(f"partitioning recipe on {total:,} events")
    statements: list[dict[str, Any]] = []

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append({"sql": sql, "seconds": time.perf_counter() - started})

    started = time.perf_counter()
    with transaction.atomic(), connection.execute_wrapper(timed):
        # As a migration runs it on PostgreSQL: in one transaction.
        recipe["partition_events"](apps, SimpleNamespace(connection=connection))
    convert = time.perf_counter() - started
    kind = _scalar("SELECT relkind FROM pg_class WHERE relname = %s", [EVENTS_TABLE])
    converted = _count()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {EVENTS_TABLE}")
    analyze = time.perf_counter() - started
    month = _full_month()
    start, end = month, recipe["next_month"](month)
    in_month = _count('"timestamp" >= %s AND "timestamp" < %s', [start, end])
    name = f"{EVENTS_TABLE}_{month:%Y_%m}"
    progress(f"dropping partition {name} ({in_month:,} events)")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {name}")
    dropped = time.perf_counter() - started
    after = _count()
    slowest = sorted(statements, key=lambda statement: -statement["seconds"])[:6]
    return {
        "events_before": total,
        "events_converted": converted,
        "relkind": kind,
        "partitions": _partitions(),
        "convert_seconds": convert,
        "analyze_seconds": analyze,
        "slowest_statements": slowest,
        "month": f"{month:%Y-%m}",
        "month_events": in_month,
        "drop_seconds": dropped,
        "events_after_drop": after,
    }


def _full_month() -> datetime.datetime:
    """The past month that holds the most events (untimed: one pass over the table)."""
    return _scalar(  # type: ignore[no-any-return]
        f"SELECT date_trunc('month', \"timestamp\", 'UTC') AS month FROM {EVENTS_TABLE} "
        "WHERE \"timestamp\" < date_trunc('month', now(), 'UTC') "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )


def _partitions() -> int:
    return int(
        _scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", [EVENTS_TABLE])
    )


def run_table_steps(
    config: dict[str, Any], seeded: Seeded, rng: random.Random, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Export, prune and partition the seeded table; each result carries its own timings.

    A step that fails is reported as ``{"error": ...}`` and ends the steps, so the reads
    measured before are kept.
    """
    steps: dict[str, Callable[[], Any]] = {
        "export": lambda: export(config["export_sizes"], seeded.events, progress),
        "prune": lambda: [
            prune(seeded, config["prune_events"], batch, rng, progress)
            for batch in config["prune_batches"]
        ],
        "partition": lambda: partition(progress),
    }
    results: dict[str, Any] = {}
    for name, step in steps.items():
        try:
            results[name] = step()
        except Exception:
            results[name] = {"error": traceback.format_exc(limit=5)}
            break
    return results
