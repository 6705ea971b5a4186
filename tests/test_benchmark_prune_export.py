"""``benchmarks.prune_export`` runs end to end at a tiny size, so it never rots.

Timings are not judged: the run must export exactly the old events, delete them all in the
configured batches and keep the recent ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cli import missing_peers

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = os.environ.get("DJANGOTAILORING_TEST_DB_SUFFIX", "")
MISSING = missing_peers()
OLD, RECENT, BATCH = 250, 20, 100

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"benchmark settings need the peers ({', '.join(MISSING)}); "
        'install them with: pip install -e ".[bench]"',
    ),
]


def run(database: str, tmp_path: Path) -> dict[str, Any]:
    output = tmp_path / "ops.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.prune_export",
            "--db",
            database,
            "-n",
            str(OLD),
            "--recent",
            str(RECENT),
            "--batch-size",
            str(BATCH),
            "--pg-name",
            f"djangotailoring_bench_ops_smoke{SUFFIX}",
            "--json",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    [result] = json.loads(output.read_text())["databases"]
    return result  # type: ignore[no-any-return]


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
