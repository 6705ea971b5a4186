"""``benchmarks.userdeletion`` runs end to end at a tiny size, so it never rots.

Timings are not judged; the run itself fails when a case's events do not hold what it claims.
"""

from __future__ import annotations

import subprocess
import sys

from tests.benchmarkruns import needs_benchmark_peers

pytestmark = needs_benchmark_peers()


def test_user_deletion_benchmark_verifies_every_case() -> None:
    command = [sys.executable, "-m", "benchmarks.userdeletion", "--db", "sqlite"]
    result = subprocess.run(
        [*command, "-n", "200", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for case in ("djangotailoring", "SET NULL only", "Python batches"):
        assert case in result.stdout
    assert "Deleting a user with 200 events (sqlite" in result.stdout
