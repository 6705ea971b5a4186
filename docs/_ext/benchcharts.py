"""Charts of the benchmark results, drawn from the JSON the benchmarks write (``--json``)."""

from __future__ import annotations

from typing import Any

from svgdraw import bar_chart

from benchmarks.servers.report import LABELS

OURS = ("create_event", "eventhandler")
SERVER_CASES = ("null", "file", "eventhandler", "db_logger", "create_event")


def write_chart(results: dict[str, Any]) -> str:
    """µs per event of every write case, per database (end-to-end; the caller's cost too)."""
    groups = []
    for database in results["databases"]:
        bars = []
        for case in database.get("write", {}).get("cases", []):
            ours = case["key"].startswith(OURS)
            if case.get("caller_us") is not None and case["key"].startswith("eventhandler_b"):
                bars.append((case["label"] + ", caller", case["caller_us"], True))
                bars.append((case["label"] + ", end-to-end", case["total_us"], True))
            else:
                bars.append((case["label"], case["total_us"], ours))
        groups.append((database["name"], bars))
    return bar_chart(
        "Write path: cost of one event", "microseconds per event, lower is better", groups, log=True
    )


def server_chart(results: dict[str, Any]) -> str:
    """p99 latency of every case under every server configuration (median of rounds)."""
    groups = []
    for config in results["configs"]:
        by_case: dict[str, list[float]] = {}
        for run in config["runs"]:
            if "load" in run:
                by_case.setdefault(run["case"], []).append(run["load"]["latency_us"]["p99"] / 1e3)
        bars = []
        for case in SERVER_CASES:
            samples = sorted(by_case.get(case, []))
            if samples:
                ours = case in ("eventhandler", "create_event")
                bars.append((LABELS[case], samples[len(samples) // 2], ours))
        groups.append((config["label"], bars))
    return bar_chart(
        "Real servers: p99 latency of a request", "milliseconds, lower is better", groups
    )
