"""The real-server results as Markdown tables, ratios to NullHandler and PASS/FAIL targets."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from benchmarks.report import Summary

LABELS = {
    "null": "logging.NullHandler (floor)",
    "file": "logging.FileHandler",
    "eventhandler": "ours: EventHandler",
    "db_logger": "django-db-logger handler",
    "create_event": "ours: create_event() in the view",
}
#: (metric, column title); latencies are of the measured load, in milliseconds.
METRICS = (
    ("rps", "req/s"),
    ("p50", "p50 ms"),
    ("p99", "p99 ms"),
    ("p99.9", "p99.9 ms"),
    ("max", "max ms"),
)
#: EventHandler's targets: (metric, comparison, limit on its ratio to NullHandler).
TARGETS = (
    ("p99", "<=", 1.2),
    ("p99.9", "<=", 1.2),
    ("max", "<=", 2.0),
    ("rps", ">=", 0.95),
)
#: Full collections EventHandler may add over NullHandler, per 10 s of load.
GC_ALLOWANCE_PER_10S = 1.0


def metric(run: dict[str, Any], name: str) -> float:
    """``rps`` in requests per second, latencies in milliseconds, of the measured load."""
    load = run["load"]
    if name == "rps":
        return float(load["requests_per_second"])
    return float(load["latency_us"][name]) / 1e3


def passed(run: dict[str, Any]) -> bool:
    return "error" not in run and run["verification"]["passed"]


def problems(run: dict[str, Any]) -> list[str]:
    if "error" in run:
        return [run["error"].splitlines()[0] if run["error"] else "crashed"]
    return list(run["verification"]["problems"])


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _by_round(runs: list[dict[str, Any]], case: str) -> dict[int, dict[str, Any]]:
    return {run["round"]: run for run in runs if run["case"] == case and passed(run)}


def ratios(runs: list[dict[str, Any]], case: str, name: str) -> list[float]:
    """Per round: the case's metric over NullHandler's of the same round."""
    ours, floor = _by_round(runs, case), _by_round(runs, "null")
    values = []
    for number, run in ours.items():
        reference = floor.get(number)
        if reference is not None and metric(reference, name) > 0:
            values.append(metric(run, name) / metric(reference, name))
    return values


def full_collections(run: dict[str, Any]) -> int:
    return sum(worker["full_collections"] for worker in run["gc"])


def gc_differences(runs: list[dict[str, Any]], case: str) -> list[int]:
    """Per round: the case's full collections minus NullHandler's of the same round."""
    ours, floor = _by_round(runs, case), _by_round(runs, "null")
    return [
        full_collections(run) - full_collections(floor[number])
        for number, run in ours.items()
        if number in floor
    ]


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _verified(runs: list[dict[str, Any]]) -> str:
    failed = [run for run in runs if not passed(run)]
    if failed:
        return f"FAILED in {len(failed)}/{len(runs)} rounds: " + "; ".join(
            problem for run in failed for problem in problems(run)
        )
    method = runs[0]["verification"]["method"]
    if method == "n/a":
        return "n/a (stores nothing)"
    checked = sum(run["verification"]["expected"] for run in runs)
    return f"OK {method}: {checked:,} requests in {len(runs)} rounds"


def config_table(config: dict[str, Any], cases: list[str]) -> str:
    """One server configuration: every case's medians and ratios to NullHandler."""
    runs = config["runs"]
    header = ["case"]
    for _, title in METRICS:
        header += [title, "x Null"]
    header += ["full GCs", "longest GC pause ms", "verified"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for case in cases:
        mine = [run for run in runs if run["case"] == case]
        if not mine:
            continue
        good = [run for run in mine if passed(run)]
        label = LABELS[case]
        if any(run.get("async_unsafe") for run in mine):
            label += " (DJANGO_ALLOW_ASYNC_UNSAFE)"
        cells = [label]
        for name, _ in METRICS:
            digits = 0 if name == "rps" else 2
            cells.append(_number(_median([metric(run, name) for run in good]), digits))
            cells.append(_ratio(_median(ratios(runs, case, name))))
        pauses = [worker["longest_pause_ms"] for run in good for worker in run["gc"]]
        cells.append(_number(_median([float(full_collections(run)) for run in good]), 1))
        cells.append(_number(max(pauses) if pauses else None, 1))
        cells.append(_verified(mine))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _target(config: str, title: str, result: bool | None, detail: str) -> dict[str, Any]:
    return {"config": config, "target": title, "passed": result, "detail": detail}


def config_targets(config: dict[str, Any], seconds: float) -> list[dict[str, Any]]:
    """EventHandler's targets in one configuration, judged on medians of per-round ratios."""
    runs, key = config["runs"], config["key"]
    if not any(run["case"] == "eventhandler" for run in runs) or not any(
        run["case"] == "null" for run in runs
    ):
        return []
    targets = []
    compare: dict[str, Callable[[float, float], bool]] = {
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }
    for name, operator, limit in TARGETS:
        title = f"EventHandler {name} {operator} {limit}x NullHandler"
        if name == "rps":
            title = f"EventHandler requests/s {operator} {limit}x NullHandler"
        median = _median(ratios(runs, "eventhandler", name))
        if median is None:
            targets.append(_target(key, title, False, "not measured (a run failed)"))
            continue
        ours = _median([metric(run, name) for run in _by_round(runs, "eventhandler").values()])
        floor = _median([metric(run, name) for run in _by_round(runs, "null").values()])
        unit = "req/s" if name == "rps" else "ms"
        targets.append(
            _target(
                key,
                title,
                compare[operator](median, limit),
                f"{median:.2f}x (median of rounds; {ours:,.2f} {unit} vs {floor:,.2f} {unit})",
            )
        )
    allowance = GC_ALLOWANCE_PER_10S * seconds / 10
    differences = gc_differences(runs, "eventhandler")
    title = f"EventHandler full GCs <= NullHandler's + {allowance:g} ({seconds:g} s of load)"
    if not differences:
        targets.append(_target(key, title, False, "not measured (a run failed)"))
    else:
        median = statistics.median(differences)
        targets.append(
            _target(
                key,
                title,
                median <= allowance,
                f"{median:+g} full collections over NullHandler (median of rounds, all workers)",
            )
        )
    return targets


def render(results: dict[str, Any]) -> Summary:
    """The whole report: machine facts, one table per configuration, targets, errors."""
    summary = Summary()
    settings = results["settings"]
    machine = results["machine"]
    cases = settings["cases"]
    out = [
        "# djangotailoring real-server benchmark",
        "",
        ", ".join(f"{key} {value}" for key, value in machine.items()),
        "",
        f"{settings['rounds']} interleaved round(s), {settings['duration']:g} s of load per run "
        f"after {settings['warmup']:g} s of warm-up; wrk is closed-loop. Values are medians "
        "over the rounds; `x Null` is the median of the per-round ratios to NullHandler.",
    ]
    for config in results["configs"]:
        out += ["", f"## {config['description']}", "", config_table(config, cases)]
        summary.targets += config_targets(config, settings["duration"])
        for run in config["runs"]:
            for problem in problems(run):
                summary.errors.append(
                    f"[{config['key']}] {LABELS[run['case']]}, round {run['round'] + 1}: {problem}"
                )
        workers = sorted({len(run["gc"]) for run in config["runs"] if passed(run)})
        if workers and workers != [config["workers"]]:
            out += [
                "",
                f"(GC statistics came from {', '.join(map(str, workers))} of "
                f"{config['workers']} workers: a worker that served no measured request "
                "writes none)",
            ]
    out += ["", "## Targets (EventHandler against NullHandler, same configuration and round)", ""]
    if settings["smoke"]:
        out.append("(smoke run: too short to judge; every case's records were verified)")
    for target in summary.targets:
        if settings["smoke"]:
            target["passed"] = None
        verdict = {True: "PASS", False: "FAIL", None: "----"}[target["passed"]]
        out.append(f"- {verdict} [{target['config']}] {target['target']}: {target['detail']}")
    out += ["", "## Verification", ""]
    if summary.errors:
        out += [f"- FAILED {error}" for error in summary.errors]
    else:
        out.append("- every run of every case passed verification")
    for config in results["configs"]:
        for case in cases:
            mine = [run for run in config["runs"] if run["case"] == case]
            if mine:
                state = "passed" if all(passed(run) for run in mine) else "FAILED"
                out.append(f"- verification {state}: [{config['key']}] {case}")
    summary.text = "\n".join(out)
    return summary
