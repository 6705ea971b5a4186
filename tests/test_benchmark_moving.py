"""``benchmarks.moving`` runs end to end at a tiny size on PostgreSQL, so it never rots.

Timings are not judged; the run itself fails when a step's rows are not what it claims
(every exported line, every imported row, the skipped re-import).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.postgres


def test_moving_benchmark_checks_every_step() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.moving",
            "--events",
            "3000",
            "--pg-suffix",
            "_smoke" + os.environ.get("DJANGOTAILORING_TEST_DB_SUFFIX", "").lower(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Moving 3,000 events (PostgreSQL to PostgreSQL)" in result.stdout
    for step in ("export_events", "import_events again (all skipped)", "migration 0003"):
        assert step in result.stdout
