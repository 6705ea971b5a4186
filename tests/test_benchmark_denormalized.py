"""``benchmarks.denormalized`` runs end to end at a tiny size, so it never rots.

Timings are not judged: the worker counts every case's events and compares every profile's
count with its user's events after each run, and exits non-zero when one differs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarkruns import SUFFIX, needs_benchmark_peers, run_benchmark

pytestmark = needs_benchmark_peers()


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_every_case_stores_and_counts_every_event(database: str, tmp_path: Path) -> None:
    result = run_benchmark(
        "benchmarks.denormalized",
        database,
        tmp_path,
        "--smoke",
        *("--pg-name", f"djangotailoring_bench_denormalized_smoke{SUFFIX}"),
    )
    verified = {case["key"]: case["verified"] for case in result["cases"]}
    assert verified == {
        "create_event_floor": {"events": 100, "counted": 0},
        "create_event_ours": {"events": 100, "counted": 100},
        "create_event_naive": {"events": 100, "counted": 100},
        "create_event_tx_floor": {"events": 100, "counted": 0},
        "create_event_tx_ours": {"events": 100, "counted": 100},
        "create_event_tx_naive": {"events": 100, "counted": 100},
        "eventhandler_floor": {"events": 100, "counted": 0},
        "eventhandler_ours": {"events": 100, "counted": 100},
    }
    assert all(case["median_us"] > 0 for case in result["cases"])
