"""``benchmarks.userdeletion`` runs end to end at a tiny size, so it never rots.

Timings are not judged; the run itself fails when a case's events do not hold what it claims.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks.cli import missing_peers

MISSING = missing_peers()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"benchmark settings need the peers ({', '.join(MISSING)}); "
        'install them with: pip install -e ".[bench]"',
    ),
]


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
