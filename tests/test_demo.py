"""The README's demo command works: the example project runs end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parent.parent / "example" / "demo.py"


@pytest.mark.slow
def test_demo_runs_and_shows_events_and_log_lines(tmp_path: Path) -> None:
    env = {**os.environ, "EXAMPLE_DATABASE": str(tmp_path / "demo.sqlite3")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, str(DEMO)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "events-log | INFO djangotailoring.tracking.events | UserConsented user=alice" in out
    assert "== Events in the database ==" in out
    table = out.split("== Events in the database ==")[1]
    for name in ("UserLoggedIn", "UserConsented", "UserLoggedOut"):
        assert name in table
    assert "demo-req-1" in table
