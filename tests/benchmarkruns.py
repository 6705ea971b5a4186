"""Running a benchmark module as a subprocess, as users do, and reading its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = os.environ.get("DJANGOTAILORING_TEST_DB_SUFFIX", "")


def run_benchmark(module: str, database: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    """Run ``python -m module --db database ARGS --json FILE``; return the database's result."""
    output = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", module, "--db", database, *args, "--json", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result,) = json.loads(output.read_text())["databases"]
    return result  # type: ignore[no-any-return]


def needs_benchmark_peers() -> list[pytest.MarkDecorator]:
    """``pytestmark`` of a module that runs a benchmark with the benchmark settings (slow;
    skipped, saying why, without the ``bench`` extra)."""
    from benchmarks.cli import missing_peers

    missing = missing_peers()
    return [
        pytest.mark.slow,
        pytest.mark.skipif(
            bool(missing),
            reason=f"benchmark settings need the peers ({', '.join(missing)}); "
            'install them with: pip install -e ".[bench]"',
        ),
    ]
