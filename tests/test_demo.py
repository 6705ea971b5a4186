"""The README's demo command works: the example project runs end to end."""

from __future__ import annotations

import json
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
    requests, rest = out.split("== Events in the database ==")
    table, export = rest.split("== manage.py export_events")
    table = table.split("== Events related to the product ==")[0]
    json_lines = [json.loads(line) for line in requests.splitlines() if line.startswith("{")]
    consent = next(line for line in json_lines if line["event"] == "UserConsented")
    assert consent["request_id"] == "demo-req-1"
    assert consent["username"] == "alice"
    assert consent["logger"] == "djangotailoring.tracking.events"
    assert "INFO shop.audit [" in requests
    names = [line.split()[2] for line in table.strip().splitlines()[2:]]
    assert sorted(names) == sorted(
        [
            "UserLoggedIn",
            "UserConsented",
            "CartUpdated",
            "OrderPlaced",
            "PageViewed",
            "Redirected",
            "UserLoggedOut",
            "UserLoginFailed",
        ]
    )
    exported = [json.loads(line) for line in export.splitlines() if line.startswith("{")]
    assert [row["name"] for row in exported] == ["UserLoggedIn", "UserLoginFailed"]
    assert "wonderland" not in out
