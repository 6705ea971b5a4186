"""``python -m benchmarks.servers``: every case under every server configuration, loaded by wrk.

For each round, each configuration and each case (in an order rotated every round) the run
empties the tables, starts a fresh server process with that case's ``LOGGING``, warms it up,
loads it with wrk for ``--duration`` seconds, waits for the records to arrive, stops the
server with ``SIGTERM`` and verifies, by request id, that every answered request was
recorded. Exit status: 0 when every run verified, 1 when a run failed verification or
crashed, 2 for a failed target under ``--fail-on-target``, 3 when a prerequisite is missing.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks.cli import add_postgres_options
from benchmarks.databases import PostgresServer, postgres_database
from benchmarks.servers import gcstats, report, verify
from benchmarks.servers.load import run_wrk, wrk_path
from benchmarks.servers.servers import BY_KEY, ROOT, Server, ServerConfig

CASES = ("null", "file", "eventhandler", "db_logger", "create_event")
SETTINGS_MODULE = "benchmarks.servers.settings"
DEFAULT_DB = "djangotailoring_servers_bench"
SMOKE = {"rounds": 1, "duration": 1.0, "warmup": 1.0}
SMOKE_CONFIGS = ("sync1", "uvicorn")
MODULES = {
    "gunicorn": "gunicorn",
    "uvicorn": "uvicorn",
    "uvicorn_worker": "uvicorn-worker",
    "django_db_logger": "django-db-logger",
    "psycopg": "psycopg",
}


def missing_prerequisites() -> list[str]:
    """What this benchmark needs and does not find: wrk and the ``bench`` extra's packages."""
    missing = [] if wrk_path() else ["wrk (apt-get install wrk)"]
    for module, distribution in MODULES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(distribution)
    return missing


def _selection(value: str | None, known: list[str], default: list[str], what: str) -> list[str]:
    if value is None:
        return default
    chosen = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return [name for name in known if name in chosen]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.servers",
        description="Measure logging handlers under real servers (gunicorn, uvicorn) with wrk.",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument(
        "--configs",
        help=f"comma-separated server configurations (default: all): {', '.join(BY_KEY)}",
    )
    parser.add_argument("--cases", help=f"comma-separated cases (default: all): {', '.join(CASES)}")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the records to arrive before stopping the server",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"1 round of 1 s after 1 s of warm-up, configs {','.join(SMOKE_CONFIGS)} "
        "unless --configs is given; records verified, no judgement",
    )
    parser.add_argument(
        "--keep-nagle",
        action="store_true",
        help="do not work around uvicorn's missing TCP_NODELAY (see benchmarks/servers/nodelay.py)",
    )
    parser.add_argument(
        "--greedy-accept",
        action="store_true",
        help="let an ASGI worker accept every waiting connection at once, as asyncio does "
        "(see benchmarks/servers/acceptspread.py)",
    )
    add_postgres_options(parser, DEFAULT_DB)
    parser.add_argument("--json", metavar="FILE", help="also write every run as JSON")
    parser.add_argument(
        "--fail-on-target", action="store_true", help="exit with status 2 when a target fails"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)
    default_configs = list(SMOKE_CONFIGS) if args.smoke else list(BY_KEY)
    args.config_keys = _selection(args.configs, list(BY_KEY), default_configs, "configs")
    args.case_keys = _selection(args.cases, list(CASES), list(CASES), "cases")
    if args.rounds < 1 or args.duration < 1 or args.warmup < 1:
        parser.error("--rounds, --duration and --warmup must be at least 1 (wrk counts seconds)")
    return args


def rotated(cases: list[str], shift: int) -> list[str]:
    """``cases`` rotated left by ``shift``, so no case always runs first or last."""
    shift %= len(cases)
    return [*cases[shift:], *cases[:shift]]


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def migrate(environment: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, **environment, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE},
        check=True,
    )


def run_once(
    args: argparse.Namespace,
    config: ServerConfig,
    case: str,
    number: int,
    pg: PostgresServer,
    environment: dict[str, str],
) -> dict[str, Any]:
    """One run: fresh tables, fresh server, warm-up, load, drain, SIGTERM, verification."""
    result: dict[str, Any] = {"round": number, "case": case}
    with tempfile.TemporaryDirectory(prefix="djangotailoring-servers-") as folder:
        verify.truncate(pg)
        env = {
            **os.environ,
            **environment,
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DJANGOTAILORING_SERVERS_CASE": case,
            "DJANGOTAILORING_SERVERS_DIR": folder,
            "DJANGOTAILORING_SERVERS_INTERFACE": config.interface,
            "DJANGOTAILORING_SERVERS_NODELAY": "0" if args.keep_nagle else "1",
            "DJANGOTAILORING_SERVERS_SPREAD": "0" if args.greedy_accept else "1",
        }
        if case == "db_logger" and config.interface == "asgi":
            # Its handler INSERTs in the caller's thread: in an async view that is the event
            # loop, where Django refuses the ORM (every request would be a 500). Allowing it
            # is what a user of that handler has to do; the INSERT then blocks the loop.
            env["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            result["async_unsafe"] = True
        log_file = os.path.join(folder, "requests.log")
        server = Server(config, env, os.path.join(folder, "server.log"))
        ids: list[str] = []
        try:
            server.wait_ready()
            loads = []
            for phase, seconds, tag in (("warmup", args.warmup, "w"), ("load", args.duration, "m")):
                loads.append(
                    run_wrk(
                        server.base_url,
                        config.path,
                        threads=config.wrk_threads,
                        connections=config.connections,
                        seconds=seconds,
                        phase=phase,
                        prefix=f"{config.key}.{case}.{number + 1}{tag}",
                        folder=os.path.join(folder, phase),
                    )
                )
            load_ended = time.monotonic()
            ids = [request_id for load in loads for request_id in load.ids]
            _, waited = verify.wait_for_rows(pg, case, log_file, len(ids), args.drain_timeout)
            result["drain_seconds"] = waited
            # Collections after the load's window are not counted; let it close first.
            time.sleep(max(0.0, gcstats.WINDOW + 0.1 - (time.monotonic() - load_ended)))
        except Exception as error:
            result["error"] = f"{type(error).__name__}: {error}"
        finally:
            try:
                server.stop()
            except Exception as error:
                result.setdefault("error", f"{type(error).__name__}: {error}")
            result["exit_status"] = server.exit_status
            result["stop_seconds"] = server.stop_seconds
        if "error" in result:
            result["server_output"] = server.output()
            return result
        warmup, load = loads
        result["warmup"], result["load"] = warmup.as_json(), load.as_json()
        checked = verify.verify(pg, case, log_file, ids, allowed_unrecorded=2 * config.connections)
        for each in loads:
            for kind in ("status", "timeout"):
                if each.errors[kind]:
                    checked.problems.append(f"{each.errors[kind]:,} {kind} errors ({each.phase})")
        if not load.ids:
            checked.problems.append("no request answered 2xx during the load")
        result["verification"] = checked.as_json()
        result["gc"] = gcstats.read_all(os.path.join(folder, "gc"))
        if not checked.passed:
            result["server_output"] = server.output()
    return result


def _describe_run(config: ServerConfig, run: dict[str, Any], rounds: int) -> str:
    head = f"  round {run['round'] + 1}/{rounds} {config.key:<16} {run['case']:<13}"
    if "error" in run:
        return f"{head} FAILED {run['error']}"
    load, checked = run["load"], run["verification"]
    latency = load["latency_us"]
    state = "OK" if checked["passed"] else "FAILED " + "; ".join(checked["problems"])
    # Requests each worker served while measured: shows how the connections fell.
    served = "/".join(str(worker["requests"]) for worker in run.get("gc", []))
    return (
        f"{head} {load['requests_per_second']:8,.0f} req/s  p50 {latency['p50'] / 1e3:6.2f}  "
        f"p99 {latency['p99'] / 1e3:7.2f}  p99.9 {latency['p99.9'] / 1e3:7.2f}  "
        f"max {latency['max'] / 1e3:7.2f} ms  full GCs {report.full_collections(run)}  "
        f"served {served or '-'}  verified {checked['method']}: {state}"
    )


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def machine(pg: PostgresServer) -> dict[str, Any]:
    """Facts about the machine and the software the numbers come from."""
    wrk = subprocess.run(  # noqa: S603
        [wrk_path() or "wrk", "--version"], capture_output=True, text=True, check=False
    )
    with verify.connect(pg) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return {
        "Python": platform.python_version(),
        "Django": _version("django"),
        "gunicorn": _version("gunicorn"),
        "uvicorn": _version("uvicorn"),
        "uvicorn-worker": _version("uvicorn-worker"),
        "django-db-logger": _version("django-db-logger"),
        "PostgreSQL": row[0] if row else "?",
        "wrk": (wrk.stdout or wrk.stderr).split(" [")[0].removeprefix("wrk ").strip(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = missing_prerequisites()
    if missing:
        print(
            f"Missing: {', '.join(missing)}; install the packages with: "
            'python -m pip install -e ".[bench]"',
            file=sys.stderr,
        )
        return 3
    pg = PostgresServer.from_args(args)
    configs = [BY_KEY[key] for key in args.config_keys]
    results: dict[str, Any] = {
        "settings": {
            "rounds": args.rounds,
            "duration": args.duration,
            "warmup": args.warmup,
            "smoke": args.smoke,
            "cases": args.case_keys,
            "nodelay_workaround": not args.keep_nagle,
            "accept_spread": not args.greedy_accept,
        },
        "configs": [
            {
                "key": config.key,
                "label": config.label,
                "description": config.describe(),
                "workers": config.workers,
                "connections": config.connections,
                "command": config.command(0),
                "runs": [],
            }
            for config in configs
        ],
    }
    by_key = {entry["key"]: entry for entry in results["configs"]}
    started = time.monotonic()
    with postgres_database(pg) as environment:
        results["machine"] = machine(pg)
        migrate(environment)
        total = args.rounds * len(configs) * len(args.case_keys)
        _progress(
            f"{len(configs)} configs x {len(args.case_keys)} cases x {args.rounds} rounds "
            f"= {total} runs of {args.duration:g} s (+{args.warmup:g} s warm-up)"
        )
        for number in range(args.rounds):
            for config in configs:
                for case in rotated(args.case_keys, number):
                    run = run_once(args, config, case, number, pg, environment)
                    by_key[config.key]["runs"].append(run)
                    _progress(_describe_run(config, run, args.rounds))
    results["elapsed_seconds"] = time.monotonic() - started
    summary = report.render(results)
    print(summary.text)
    if args.json:
        results["targets"] = summary.targets
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(results, stream, indent=2, default=str)
    if summary.errors:
        return 1
    if args.fail_on_target and any(not target["passed"] for target in summary.targets):
        return 2
    return 0
