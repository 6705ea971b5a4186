"""The benchmark's command line: run every case on every database, then judge the targets.

Each database is measured in its own process (``benchmarks.worker``), against a database the
run creates and removes. Exit status: 0 when every case stored what it claimed (and, with
``--fail-on-target``, every target passed), 1 when a case failed or stored too little, 2 when
a target failed under ``--fail-on-target``, 3 when the peers are not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
from typing import Any

from benchmarks import report
from benchmarks.databases import PostgresServer, database_for

PEERS = {"django_db_logger": "django-db-logger", "pinax.eventlog": "pinax-eventlog"}
SMOKE = {
    "events": 200,
    "rounds": 1,
    "read_events": 2_000,
    "read_small": 500,
    "read_users": 100,
    "read_names": 10,
    "read_repeats": 3,
    "prune_events": 200,
    "prune_batch": "50,20,50:nobudget",
    "export_events": "100,1000",
}


def missing_peers() -> list[str]:
    """The distribution names of the peers that are not importable here."""
    missing = []
    for module, distribution in PEERS.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(distribution)
    return missing


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure djangotailoring against its peers on SQLite and PostgreSQL.",
    )
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("-n", "--events", type=int, default=20_000, help="events per write case")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case")
    parser.add_argument("--read-events", type=int, default=1_000_000, help="read path table size")
    parser.add_argument(
        "--read-small", type=int, default=10_000, help="small table size for the query-count check"
    )
    parser.add_argument("--read-users", type=int, default=10_000)
    parser.add_argument("--read-names", type=int, default=100)
    parser.add_argument("--read-repeats", type=int, default=25, help="timed calls per read case")
    parser.add_argument(
        "--prune-events",
        type=int,
        default=1_000_000,
        help="events prune_events deletes from the read path's table (at most a tenth of it)",
    )
    parser.add_argument(
        "--prune-batch",
        default="10000,2000,10000:nobudget",
        help="comma-separated prune_events --batch-size values, one prune each; ':async' "
        "prunes with synchronous_commit off for the session, ':nobudget' with --lock-budget 0 "
        "(fixed batches, no statement timeout: the command before its lock budget) "
        "(default: the command's own default, a fifth of it, the default without a budget)",
    )
    parser.add_argument(
        "--export-events",
        default="100000,1000000",
        help="comma-separated sizes of the exports whose peak memory is compared",
    )
    parser.add_argument(
        "--no-table-steps",
        dest="table_steps",
        action="store_false",
        help="skip export, prune and partitioning after the read path",
    )
    parser.add_argument(
        "--no-write", dest="write", action="store_false", help="skip the write path"
    )
    parser.add_argument("--no-read", dest="read", action="store_false", help="skip the read path")
    parser.add_argument(
        "--cases",
        help="comma-separated keys of the write cases to run (default: all; e.g. "
        "null,file,eventhandler_background_nojournal,eventhandler_background)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, one round, rows verified, no timing judgement",
    )
    parser.add_argument(
        "--sqlite-journal",
        choices=["delete", "wal"],
        default="delete",
        help="SQLite journal mode (delete is SQLite's default); synchronous is FULL either way",
    )
    add_postgres_options(parser, PostgresServer.name)
    parser.add_argument("--json", metavar="FILE", help="also write all results as JSON")
    parser.add_argument(
        "--fail-on-target", action="store_true", help="exit with status 2 when a target fails"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)
    args.export_sizes = [int(size) for size in str(args.export_events).split(",") if size]
    args.databases = [name.strip() for name in args.db.split(",") if name.strip()]
    unknown = set(args.databases) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    args.case_keys = (
        None if args.cases is None else [key.strip() for key in args.cases.split(",") if key]
    )
    if args.case_keys is not None:
        from benchmarks.writecases import CASE_KEYS

        unknown = set(args.case_keys) - set(CASE_KEYS)
        if unknown or not args.case_keys:
            parser.error(
                f"unknown write case(s): {', '.join(sorted(unknown)) or '(none given)'}; "
                f"known: {', '.join(CASE_KEYS)}"
            )
    return args


def _config(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "events": args.events,
        "rounds": args.rounds,
        "write": args.write,
        "read": args.read,
        "read_events": args.read_events,
        "read_small": min(args.read_small, args.read_events),
        "read_users": args.read_users,
        "read_names": args.read_names,
        "read_repeats": args.read_repeats,
        "table_steps": args.table_steps,
        "prune_events": min(args.prune_events, args.read_events // 10),
        "prune_batches": [_prune_batch(spec) for spec in str(args.prune_batch).split(",") if spec],
        # The bare process (0 events) first, so each peak can be read against it.
        "export_sizes": [0, *(min(size, args.read_events) for size in args.export_sizes)],
        "smoke": args.smoke,
        "cases": args.case_keys,
    }


def run_database(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Run the worker for one database and return its results (``{"error": ...}`` on failure)."""
    with (
        database_for(name, args, sqlite_journal=args.sqlite_journal) as environment,
        tempfile.TemporaryDirectory() as directory,
    ):
        output = os.path.join(directory, "result.json")
        command = [
            sys.executable,
            "-m",
            "benchmarks.worker",
            "--config",
            json.dumps(_config(args)),
            "--output",
            output,
        ]
        env = {**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
        completed = subprocess.run(command, env=env, check=False)  # noqa: S603
        if completed.returncode != 0 or not os.path.exists(output):
            return {"name": name, "error": f"worker exited with status {completed.returncode}"}
        with open(output, encoding="utf-8") as stream:
            result: dict[str, Any] = json.load(stream)
        result["name"] = name
        return result


def machine() -> dict[str, Any]:
    """Facts about the machine the numbers come from."""
    import django

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
    }


def add_postgres_options(parser: argparse.ArgumentParser, database: str) -> None:
    """The options that say which PostgreSQL server and database a benchmark uses."""
    parser.add_argument("--pg-name", default=database)
    parser.add_argument("--pg-host", default=PostgresServer.host)
    parser.add_argument("--pg-port", default=PostgresServer.port)
    parser.add_argument("--pg-user", default=PostgresServer.user)


def _prune_batch(spec: str) -> tuple[int, bool, bool]:
    """``10000``, ``10000:async``, ``10000:nobudget``: (batch size, synchronous commit, lock
    budget)."""
    size, *flags = spec.split(":")
    unknown = set(flags) - {"async", "nobudget"}
    if unknown:
        raise SystemExit(f"--prune-batch: unknown flag(s) {', '.join(sorted(unknown))} in {spec!r}")
    return int(size), "async" not in flags, "nobudget" not in flags


def _write_json(path: str, results: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(results, stream, indent=2, default=str)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = missing_peers()
    if missing:
        print(
            f"The peers are not installed ({', '.join(missing)}); "
            'install them with: python -m pip install -e ".[bench]"',
            file=sys.stderr,
        )
        return 3
    results = {"machine": machine(), "config": _config(args), "databases": []}
    results["databases"] = [run_database(args, name) for name in args.databases]
    if args.json:  # first, so that a long run's measurements outlive a failing report
        _write_json(args.json, results)
    summary = report.render(results)
    print(summary.text)
    if args.json:
        results["targets"] = summary.targets
        _write_json(args.json, results)
    if summary.errors:
        return 1
    if args.fail_on_target and any(not target["passed"] for target in summary.targets):
        return 2
    return 0
