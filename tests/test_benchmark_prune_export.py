"""``benchmarks.prune_export`` runs end to end at a tiny size, so it never rots.

Timings are not judged: the run must export exactly the old events, delete them all in the
configured batches and keep the recent ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.benchmarkruns import SUFFIX, needs_benchmark_peers, run_benchmark

OLD, RECENT, BATCH = 250, 20, 100

pytestmark = needs_benchmark_peers()


def run(database: str, tmp_path: Path) -> dict[str, Any]:
    return run_benchmark(
        "benchmarks.prune_export",
        database,
        tmp_path,
        *("-n", str(OLD), "--recent", str(RECENT), "--batch-size", str(BATCH)),
        *("--pg-name", f"djangotailoring_bench_ops_smoke{SUFFIX}"),
    )


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_exports_and_prunes_exactly_the_old_events(database: str, tmp_path: Path) -> None:
    result = run(database, tmp_path)
    for phase in ("export-jsonl", "export-csv", "export-peer"):
        assert result[phase]["rows"] == OLD, phase
    assert result["prune"]["batches"] == 3
    assert result["prune"]["remaining"] == RECENT
    assert result["prune"]["output"].startswith(f"Deleted {OLD} events before ")
    assert result["prune-peer"]["deleted"] == OLD
