"""A pytest of its own, for checks whose settings are fixed per process (the user model, the
events' database): run it, and judge it by its summary line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_child_pytest(
    arguments: list[str], env: dict[str, str], *, config: pytest.Config | None = None
) -> str:
    """Run pytest with ``arguments`` in the repository; return its output.

    With ``config`` (this run's) and coverage on, the child measures coverage too, into a
    data file that this run combines at its end; otherwise it runs without coverage.
    """
    coverage = config is not None and not config.getoption("no_cov", default=False)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--cov-report=" if coverage else "--no-cov",
            "-p",
            "no:cacheprovider",
            "-q",
            *arguments,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def assert_all_passed(output: str, at_least: int) -> None:
    """The child ran at least ``at_least`` tests, and none was skipped, failed or in error."""
    summary = re.findall(r"^=* ?(\d+ passed[^\n]*) in [\d.]+s", output, re.MULTILINE)
    assert summary, output
    assert int(summary[-1].split()[0]) >= at_least, output
    assert not re.search(r"skipped|failed|error|xfail|xpass|deselected", summary[-1]), output
