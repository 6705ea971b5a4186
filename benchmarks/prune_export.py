"""Operations on a large table: ``prune_events`` and ``export_events`` on a million events.

    python -m benchmarks.prune_export                    # SQLite and PostgreSQL, 1,000,000 events
    python -m benchmarks.prune_export --db sqlite -n 100000 --json ops.json

For each database, on a database the run creates and removes, every phase runs in its own
process so that its peak resident memory (``ru_maxrss``) is its own:

1. seed ``-n`` old events (91 to 400 days old) and ``--recent`` new ones, half of them with
   one of 1,000 users, by one raw ``INSERT … SELECT`` (SQL, not the ORM: seeding is not measured);
2. ``export_events --until CUTOFF`` (exactly the old events) as JSON lines, then as CSV,
   to a file; the peer is the obvious alternative, ``list(Event.objects.values())`` dumped;
3. ``prune_events --older-than 90d`` (batched), recording the longest single ``DELETE``;
   the peer, after seeding again, is one unbatched ``DELETE … WHERE timestamp < cutoff``.

Ratios compare each command with its peer measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.cli import add_postgres_options
from benchmarks.databases import database_for

PHASES = ("baseline", "seed", "export-jsonl", "export-csv", "export-peer", "prune", "prune-peer")
NAMES = ("PageViewed", "UserLoggedIn", "PageError", "Redirected")
USERS = 1_000
OLD_START_DAYS = 400
OLD_END_DAYS = 91
CUTOFF_DAYS = 90


def _peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- seeding -----------------------------------------------------------------------------

_PG_USERS = """
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT '!', false, 'user' || i, '', '', 'user' || i || '@example.com', false, true, now()
FROM generate_series(1, %s) AS i
"""

_PG_EVENTS = """
INSERT INTO tracking_event (name, timestamp, note, data, user_id)
SELECT (ARRAY['PageViewed', 'UserLoggedIn', 'PageError', 'Redirected'])[1 + i %% 4],
       %s::timestamptz + make_interval(secs => (i::bigint * %s::bigint) / 1000000.0),
       '/page/' || (i %% 5000) || '/',
       jsonb_build_object(
           'request', jsonb_build_object(
               'id', md5(i::text), 'method', 'GET', 'path', '/page/' || (i %% 5000) || '/',
               'remote_addr', '203.0.113.' || (i %% 250)),
           'status', 200),
       CASE WHEN i %% 2 = 0 THEN (SELECT min(id) FROM auth_user) + i %% %s END
FROM generate_series(1, %s) AS i
"""

_SQLITE_USERS = """
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %s)
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT '!', 0, 'user' || i, '', '', 'user' || i || '@example.com', 0, 1, datetime('now')
FROM seq
"""

_SQLITE_EVENTS = """
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %s)
INSERT INTO tracking_event (name, timestamp, note, data, user_id)
SELECT CASE i %% 4 WHEN 0 THEN 'PageViewed' WHEN 1 THEN 'UserLoggedIn'
                   WHEN 2 THEN 'PageError' ELSE 'Redirected' END,
       strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '+' || (i * %s / 1000000.0) || ' seconds'),
       '/page/' || (i %% 5000) || '/',
       json_object(
           'request', json_object(
               'id', hex(randomblob(16)), 'method', 'GET', 'path', '/page/' || (i %% 5000) || '/',
               'remote_addr', '203.0.113.' || (i %% 250)),
           'status', 200),
       CASE WHEN i %% 2 = 0 THEN (SELECT min(id) FROM auth_user) + i %% %s END
FROM seq
"""


def _insert_events(start: Any, step_microseconds: int, count: int) -> None:
    from django.db import connection

    if count <= 0:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_EVENTS, [start, step_microseconds, USERS, count])
        else:
            naive = start.replace(tzinfo=None).isoformat(sep=" ")
            cursor.execute(_SQLITE_EVENTS, [count, naive, step_microseconds, USERS])


def _seed(old: int, recent: int) -> dict[str, Any]:
    import datetime

    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    started = time.perf_counter()
    if not User.objects.exists():
        with connection.cursor() as cursor:
            cursor.execute(
                _PG_USERS if connection.vendor == "postgresql" else _SQLITE_USERS, [USERS]
            )
    old_span = datetime.timedelta(days=OLD_START_DAYS - OLD_END_DAYS)
    _insert_events(
        now - datetime.timedelta(days=OLD_START_DAYS),
        int(old_span / datetime.timedelta(microseconds=1)) // max(old, 1),
        old,
    )
    recent_span = datetime.timedelta(days=CUTOFF_DAYS - 1)
    _insert_events(
        now - recent_span,
        int(recent_span / datetime.timedelta(microseconds=1)) // max(recent, 1),
        recent,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"seconds": time.perf_counter() - started, "old": old, "recent": recent}


# --- phases ------------------------------------------------------------------------------


def _cutoff() -> str:
    import datetime

    from django.utils import timezone

    # Between the newest old event and the oldest recent one.
    return (timezone.now() - datetime.timedelta(days=CUTOFF_DAYS)).isoformat()


def _export(fmt: str, directory: str) -> dict[str, Any]:
    from django.core.management import call_command

    path = os.path.join(directory, f"events.{fmt}")
    started = time.perf_counter()
    call_command(
        "export_events",
        "--format",
        fmt,
        "--output",
        path,
        "--until",
        _cutoff(),
        stdout=io.StringIO(),
    )
    seconds = time.perf_counter() - started
    with open(path, "rb") as stream:
        rows = sum(1 for _ in stream) - (1 if fmt == "csv" else 0)
    return {
        "seconds": seconds,
        "rows": rows,
        "bytes": os.path.getsize(path),
        "peak_rss_mib": _peak_rss_mib(),
    }


def _export_peer(directory: str) -> dict[str, Any]:
    from djangotailoring.tracking.models import Event

    path = os.path.join(directory, "events-peer.jsonl")
    started = time.perf_counter()
    rows = list(
        Event.objects.filter(timestamp__lte=_cutoff())
        .order_by("timestamp", "id")
        .values("id", "timestamp", "name", "user_id", "user__username", "note", "data")
    )
    with open(path, "w", encoding="utf-8") as stream:
        for row in rows:
            row["timestamp"] = row["timestamp"].isoformat()
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {
        "seconds": time.perf_counter() - started,
        "rows": len(rows),
        "peak_rss_mib": _peak_rss_mib(),
    }


@contextmanager
def _delete_timer(durations: list[float]) -> Iterator[None]:
    from django.db import connection

    def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if not sql.startswith("DELETE"):
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            durations.append(time.perf_counter() - started)

    with connection.execute_wrapper(timed):
        yield


def _prune(batch_size: int) -> dict[str, Any]:
    from django.core.management import call_command

    from djangotailoring.tracking.models import Event

    durations: list[float] = []
    out = io.StringIO()
    started = time.perf_counter()
    with _delete_timer(durations):
        call_command("prune_events", older_than="90d", batch_size=batch_size, stdout=out)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "output": out.getvalue().strip(),
        "batches": len(durations),
        "longest_delete_seconds": max(durations, default=0.0),
        "remaining": Event.objects.count(),
        "peak_rss_mib": _peak_rss_mib(),
    }


def _prune_peer(old: int) -> dict[str, Any]:
    import datetime

    from django.utils import timezone

    from djangotailoring.tracking.models import Event

    seeded = _seed(old, 0)
    cutoff = timezone.now() - datetime.timedelta(days=CUTOFF_DAYS)
    durations: list[float] = []
    started = time.perf_counter()
    with _delete_timer(durations):
        deleted, _ = Event.objects.filter(timestamp__lt=cutoff).delete()
    return {
        "seconds": time.perf_counter() - started,
        "deleted": deleted,
        "longest_delete_seconds": max(durations, default=0.0),
        "reseed_seconds": seeded["seconds"],
    }


def run_phase(phase: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one phase in this process (Django set up from the environment)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if phase == "baseline":
        call_command("migrate", verbosity=0)
        connection.ensure_connection()
        return {"peak_rss_mib": _peak_rss_mib()}
    if phase == "seed":
        return _seed(args.events, args.recent)
    if phase in ("export-jsonl", "export-csv"):
        return _export(phase.removeprefix("export-"), args.directory)
    if phase == "export-peer":
        return _export_peer(args.directory)
    if phase == "prune":
        return _prune(args.batch_size)
    return _prune_peer(args.events)


# --- driver ------------------------------------------------------------------------------


def run_database(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run every phase on a fresh database ``name``, each phase in a child process."""
    results: dict[str, Any] = {"name": name}
    with database_for(name, args) as environment, tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
        for phase in PHASES:
            command = [
                sys.executable,
                "-m",
                "benchmarks.prune_export",
                "--phase",
                phase,
                "-n",
                str(args.events),
                "--recent",
                str(args.recent),
                "--batch-size",
                str(args.batch_size),
                "--directory",
                directory,
            ]
            completed = subprocess.run(  # noqa: S603
                command, env=env, capture_output=True, text=True, check=False
            )
            if completed.returncode != 0:
                results[phase] = {"error": completed.stderr.strip()[-2000:]}
                break
            results[phase] = json.loads(completed.stdout.strip().splitlines()[-1])
            print(f"  {name} {phase}: done", file=sys.stderr)
    return results


def _ratio(numerator: float, denominator: float, digits: int = 2) -> str:
    return f"{numerator / denominator:.{digits}f}x" if denominator > 0 else "n/a"


def render(results: list[dict[str, Any]], events: int) -> str:
    """A plain-text table of the results."""
    lines = [f"prune_events / export_events on {events:,} events"]
    for db in results:
        name = db["name"]
        errors = {
            phase: value["error"]
            for phase, value in db.items()
            if isinstance(value, dict) and "error" in value
        }
        if errors:
            lines += [f"{name}: {phase} failed:\n{error}" for phase, error in errors.items()]
            continue
        base = db["baseline"]["peak_rss_mib"]
        seed, jl, cs, peer = db["seed"], db["export-jsonl"], db["export-csv"], db["export-peer"]
        prune, prune_peer = db["prune"], db["prune-peer"]
        lines += [
            f"{name}:",
            f"  seed (raw SQL, not measured against anything)   {seed['seconds']:8.2f} s",
            f"  export_events jsonl  {jl['rows']:>9,} rows        {jl['seconds']:8.2f} s"
            f"  peak RSS {jl['peak_rss_mib']:7.0f} MiB (Django process alone {base:.0f} MiB)",
            f"  export_events csv    {cs['rows']:>9,} rows        {cs['seconds']:8.2f} s"
            f"  peak RSS {cs['peak_rss_mib']:7.0f} MiB",
            f"  peer: list(values()) + json.dumps {peer['rows']:>9,}  {peer['seconds']:8.2f} s"
            f"  peak RSS {peer['peak_rss_mib']:7.0f} MiB",
            f"    export jsonl / peer: time {_ratio(jl['seconds'], peer['seconds'])},"
            f" memory above the bare process {jl['peak_rss_mib'] - base:.0f} MiB"
            f" vs {peer['peak_rss_mib'] - base:.0f} MiB"
            f" ({_ratio(jl['peak_rss_mib'] - base, peer['peak_rss_mib'] - base, 3)})",
            f"  prune_events --older-than 90d                   {prune['seconds']:8.2f} s"
            f"  ({prune['output'].rstrip('.')};"
            f" longest DELETE {prune['longest_delete_seconds'] * 1000:.0f} ms;"
            f" {prune['remaining']:,} recent events kept)",
            f"  peer: one unbatched DELETE ({prune_peer['deleted']:,} rows)   "
            f"{prune_peer['seconds']:8.2f} s  (one statement holds its locks throughout)",
            f"    prune / peer: time {_ratio(prune['seconds'], prune_peer['seconds'])},"
            f" longest lock-holding statement"
            f" {_ratio(prune['longest_delete_seconds'], prune_peer['longest_delete_seconds'])}",
        ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prune_export", description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("-n", "--events", type=int, default=1_000_000, help="old events to seed")
    parser.add_argument("--recent", type=int, default=10_000, help="recent events (kept)")
    parser.add_argument("--batch-size", type=int, default=10_000)
    add_postgres_options(parser, "djangotailoring_bench_ops")
    parser.add_argument("--json", metavar="FILE", help="also write all results as JSON")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--directory", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phase is not None:
        print(json.dumps(run_phase(args.phase, args), default=str))
        return 0
    names = [name.strip() for name in args.db.split(",") if name.strip()]
    results = [run_database(name, args) for name in names]
    print(render(results, args.events))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump({"events": args.events, "databases": results}, stream, indent=2)
    failed = any(isinstance(v, dict) and "error" in v for db in results for v in db.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
