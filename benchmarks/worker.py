"""One benchmark run on one database, in its own process (Django is set up once per process).

``python -m benchmarks`` starts this module with the database in the environment and a JSON
configuration on the command line; it writes its results as JSON to ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from typing import Any


def describe_database() -> dict[str, Any]:
    """The server version and the durability settings the numbers were measured with."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            facts: dict[str, Any] = {}
            for setting in ("server_version", "fsync", "synchronous_commit", "full_page_writes"):
                cursor.execute(f"SHOW {setting}")
                facts[setting] = cursor.fetchone()[0]
            facts["version"] = f"PostgreSQL {facts.pop('server_version')}"
            return facts
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
    return {
        "version": f"SQLite {sqlite3.sqlite_version}",
        "journal_mode": journal,
        "synchronous": synchronous,
    }


def run_write_path(config: dict[str, Any]) -> dict[str, Any]:
    """Measure every write case; return medians, all samples and the INSERT checks."""
    from django.db import connection

    from benchmarks import writecases
    from benchmarks.rounds import measure_once, run_rounds

    n, rounds = config["events"], config["rounds"]
    cases = writecases.build_cases(connection.vendor, n)
    if config.get("cases"):
        cases = [case for case in cases if case.key in config["cases"]]
    try:
        warm = max(1, min(100, n // 10))
        _progress(f"warm-up ({warm} events per case)")
        for case in cases:
            measure_once(case, warm)
        _progress(f"{len(cases)} cases x {rounds} rounds x {n} events")
        samples = run_rounds(cases, n, rounds)
        details = {case.key: case.details() for case in cases}
        writecases.clear_tables()
        checks = _insert_checks()
    finally:
        for case in cases:
            case.close()
        writecases.clear_tables()
    return {
        "events": n,
        "rounds": rounds,
        "eventhandler": writecases.eventhandler_available(),
        "cases": [
            {
                "key": case.key,
                "label": case.label,
                "caller_us": samples[case.key].median_caller(),
                "total_us": samples[case.key].median_total(),
                "caller_samples": samples[case.key].caller_us,
                "total_samples": samples[case.key].total_us,
                "verified_rows": case.counts_rows,
                "failures": samples[case.key].failures,
                "details": details[case.key],
            }
            for case in cases
        ],
        "insert_checks": checks,
    }


def _insert_checks() -> dict[str, dict[str, int]]:
    from benchmarks.writecases import DATA, NAME, insert_counts
    from djangotailoring.tracking import create_event
    from djangotailoring.tracking.models import Event

    # Warm first: "exactly one INSERT" is a promise for a warm process.
    create_event(NAME, note="warm", data=DATA)
    return {
        "create_event": insert_counts(lambda: create_event(NAME, note="check", data=DATA)),
        "orm_create": insert_counts(
            lambda: Event.objects.create(name=NAME, note="check", data=dict(DATA))
        ),
    }


def _progress(line: str) -> None:
    print(
        f"[{os.environ.get('DJANGOTAILORING_BENCH_DB', '?')}] {line}", file=sys.stderr, flush=True
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("--config", required=True, help="the run's configuration, as JSON")
    parser.add_argument("--output", required=True, help="where to write the results (JSON)")
    args = parser.parse_args(argv)
    config = json.loads(args.config)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    result: dict[str, Any] = {"vendor": connection.vendor, "database": describe_database()}
    _progress(f"{result['database']}")
    if config["write"]:
        result["write"] = run_write_path(config)
    if config["read"] and connection.vendor == "postgresql":
        from benchmarks.readpath import run_read_path

        result["read"] = run_read_path(config, _progress)
    with open(args.output, "w", encoding="utf-8") as stream:
        json.dump(result, stream, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
