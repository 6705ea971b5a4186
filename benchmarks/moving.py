"""What moving events to a database of their own costs (``TRACKING_DATABASE``), on PostgreSQL.

``python -m benchmarks.moving --events 1000000``: two new PostgreSQL databases (users and
content types on one, events on the other, ``TRACKING_DATABASE`` set), ``--events`` rows
filled by ``COPY``, then, each timed and checked by counting rows:

* ``export_events`` of the whole table to a file (peak memory of the process reported);
* ``import_events`` of that file into the emptied table (the route of the separate-database
  recipe), and again (every event is there already: all skipped);
* migration ``0003`` dropping a foreign key that an old table still has, while a second
  connection inserts into the table: the longest time that insert waited is the lock.

The databases are dropped afterwards.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import threading
import time
from typing import Any

BASE_NAMES = ("djangotailoring_bench_move_app", "djangotailoring_bench_move_events")


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    base = {
        "ENGINE": "django.db.backends.postgresql",
        "USER": args.pg_user,
        "HOST": args.pg_host,
        "PORT": args.pg_port,
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
    }
    return {
        "DATABASES": {
            "default": {**base, "NAME": args.names[0]},
            "events": {**base, "NAME": args.names[1]},
        },
        "TRACKING_DATABASE": "events",
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "djangotailoring.tracking",
        ],
        "USE_TZ": True,
        "SECRET_KEY": "benchmark-only",
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
        "LOGGING_CONFIG": None,
    }


def _admin(args: argparse.Namespace, statements: list[str]) -> None:
    import psycopg

    with psycopg.connect(
        host=args.pg_host, port=args.pg_port, user=args.pg_user, dbname="postgres", autocommit=True
    ) as connection:
        for statement in statements:
            connection.execute(statement)


def _fill(count: int) -> None:
    from django.db import connections

    with connections["events"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO tracking_event (name, timestamp, note, user_id, data) "
            "SELECT 'Moved' || (n %% 50), now() - n * interval '1 second', '', 1 + n %% 1000, "
            "jsonb_build_object('n', n) FROM generate_series(1, %s) AS n",
            [count],
        )
        cursor.execute("ANALYZE tracking_event")


def _count() -> int:
    from djangotailoring.tracking.models import Event

    return Event.objects.count()


def _timed(step: Any) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _longest_insert_wait(stop: threading.Event, waits: list[float]) -> None:
    from django.db import connections

    connection = connections.create_connection("events")
    try:
        with connection.cursor() as cursor:
            while not stop.is_set():
                started = time.perf_counter()
                cursor.execute(
                    "INSERT INTO tracking_event (name, timestamp, note, data) "
                    "VALUES ('Probe', now(), '', '{}')"
                )
                waits.append(time.perf_counter() - started)
                time.sleep(0.002)
    finally:
        connection.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    settings.configure(**_settings(args))
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="events", verbosity=0)
    results: dict[str, Any] = {"events": args.events}
    results["fill_s"] = _timed(lambda: _fill(args.events))
    assert _count() == args.events
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "events.jsonl")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results["export_s"] = _timed(
            lambda: call_command("export_events", "-o", path, stdout=io.StringIO())
        )
        results["export_peak_rss_growth_mib"] = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        ) / 1024
        with open(path, encoding="utf-8") as exported:
            lines = sum(1 for _ in exported)
        assert lines == args.events, lines
        with connections["events"].cursor() as cursor:
            cursor.execute("TRUNCATE tracking_event")
        results["import_s"] = _timed(
            lambda: call_command("import_events", path, stdout=io.StringIO())
        )
        assert _count() == args.events
        results["import_again_s"] = _timed(
            lambda: call_command("import_events", path, stdout=io.StringIO())
        )
        assert _count() == args.events
    call_command("migrate", "tracking", "0002", database="events", verbosity=0)
    with connections["events"].cursor() as cursor:
        cursor.execute("CREATE TABLE old_users (id integer PRIMARY KEY)")
        cursor.execute("INSERT INTO old_users SELECT generate_series(1, 1000)")
        cursor.execute(
            "ALTER TABLE tracking_event ADD CONSTRAINT tracking_event_old_user_fk "
            "FOREIGN KEY (user_id) REFERENCES old_users (id)"
        )
    stop, waits = threading.Event(), []
    probe = threading.Thread(target=_longest_insert_wait, args=(stop, waits))
    probe.start()
    time.sleep(0.2)
    try:
        results["drop_constraint_migration_s"] = _timed(
            lambda: call_command("migrate", "tracking", database="events", verbosity=0)
        )
    finally:
        time.sleep(0.2)
        stop.set()
        probe.join()
    results["longest_insert_wait_during_migration_ms"] = max(waits) * 1000
    results["probe_inserts"] = len(waits)
    connections.close_all()
    return results


def render(results: dict[str, Any]) -> str:
    rows = [
        ("fill (INSERT … SELECT)", f"{results['fill_s']:.1f} s"),
        ("export_events", f"{results['export_s']:.1f} s"),
        ("export_events peak memory growth", f"{results['export_peak_rss_growth_mib']:.0f} MiB"),
        ("import_events", f"{results['import_s']:.1f} s"),
        ("import_events again (all skipped)", f"{results['import_again_s']:.1f} s"),
        (
            "migration 0003 (drop one foreign key)",
            f"{results['drop_constraint_migration_s']:.3f} s",
        ),
        (
            "longest INSERT wait meanwhile",
            f"{results['longest_insert_wait_during_migration_ms']:.1f} ms "
            f"({results['probe_inserts']} inserts)",
        ),
    ]
    width = max(len(step) for step, _ in rows)
    lines = [f"Moving {results['events']:,} events (PostgreSQL to PostgreSQL)", ""]
    lines += [f"{step:<{width}}  {value}" for step, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.moving", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", default="5432")
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument(
        "--pg-suffix", default="", help="appended to the names of the two databases it makes"
    )
    args = parser.parse_args(argv)
    args.names = [name + args.pg_suffix for name in BASE_NAMES]
    drop = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in args.names]
    _admin(args, [*drop, *(f'CREATE DATABASE "{name}"' for name in args.names)])
    try:
        print(render(run(args)))
    finally:
        _admin(args, drop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
