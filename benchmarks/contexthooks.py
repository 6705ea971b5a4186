"""The cost of the task and trace hooks on the logging path, with and without OpenTelemetry.

``python -m benchmarks.contexthooks [--number N]`` measures, each in a fresh process:

- *not installed*: ``opentelemetry`` cannot be imported (as on a machine without it);
- *installed, no span*: the application imported ``opentelemetry.trace``, no span is current;
- *recording span*: inside a span of the real SDK (in-memory exporter).

For each it times, in nanoseconds per call (best of 5 repeats of ``N`` calls):
``current_trace()`` (the hook itself), ``RequestContextFilter.filter()`` on a fresh record,
and ``hand_over()`` (what ``EventHandler.emit()`` does in the caller's thread), and checks
that the hook found the span exactly when there is one. It prints a table whose ratios are
against *not installed*, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from typing import Any

STATES = ("not installed", "installed, no span", "recording span")

_CHILD = """
import json, logging, sys, timeit
state, number = sys.argv[1], int(sys.argv[2])
if state == "not installed":
    sys.modules["opentelemetry"] = None
import django
from django.conf import settings
settings.configure(USE_TZ=True)
django.setup()
from djangotailoring.handlers.filters import RequestContextFilter
from djangotailoring.handlers.handover import hand_over
from djangotailoring.tracecontext import current_trace

def record():
    return logging.LogRecord("app", logging.INFO, "app.py", 1, "Paid %s", ("card",), None)

def measure():
    filt = RequestContextFilter()
    sample = record()
    timings = {
        "current_trace": lambda: current_trace(),
        "filter": lambda: filt.filter(record()),
        "record": record,
        "hand_over": lambda: hand_over(sample),
    }
    result = {}
    for name, call in timings.items():
        best = min(timeit.repeat(call, number=number, repeat=5))
        result[name] = best / number * 1e9
    result["found"] = current_trace() is not None
    result["carried"] = "\\x00trace_id" in hand_over(sample)
    return result

if state == "recording span":
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    with provider.get_tracer("bench").start_as_current_span("request"):
        result = measure()
else:
    if state == "installed, no span":
        import opentelemetry.trace
    result = measure()
print(json.dumps(result))
"""


def run_state(state: str, number: int) -> dict[str, Any]:
    """The timings of one state, measured in a fresh interpreter."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _CHILD, state, str(number)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def table(results: dict[str, dict[str, Any]]) -> str:
    """The results as a reST table (ns per call; ratio to *not installed*)."""
    base = results[STATES[0]]
    rows = [("state", "current_trace()", "filter()", "hand_over()", "span found")]
    for state, result in results.items():

        def cell(name: str, result: dict[str, Any] = result) -> str:
            return f"{result[name]:.0f} ns ({result[name] / base[name]:.2f}x)"

        # The filter's own cost: a fresh record is built for each call; subtract it.
        own = {**result, "filter": result["filter"] - result["record"]}
        own_base = base["filter"] - base["record"]
        filter_cell = f"{own['filter']:.0f} ns ({own['filter'] / own_base:.2f}x)"
        found = "yes" if result["found"] else "no"
        rows.append((state, cell("current_trace"), filter_cell, cell("hand_over"), found))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "  ".join("=" * width for width in widths)
    lines = [rule, "  ".join(c.ljust(w) for c, w in zip(rows[0], widths, strict=True)), rule]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows[1:]]
    return "\n".join([*lines, rule])


def check(results: dict[str, dict[str, Any]]) -> list[str]:
    """What went wrong: the hook must find the span exactly in the span's state."""
    problems = []
    for state, result in results.items():
        expected = state == "recording span"
        if result["found"] is not expected or result["carried"] is not expected:
            problems.append(f"{state}: span found={result['found']}, carried={result['carried']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=200_000, help="calls per repeat")
    args = parser.parse_args(argv)
    results = {state: run_state(state, args.number) for state in STATES}
    print(table(results))
    problems = check(results)
    for problem in problems:
        logging.getLogger(__name__).error(problem)
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
