"""The real-server benchmark runs end to end at a tiny size, so it never rots.

``python -m benchmarks.servers --smoke`` starts real gunicorn and uvicorn servers, loads them
with wrk for a second per case and verifies, by request id, that every answered request
was recorded. Nothing here judges timings. It needs PostgreSQL as the test database
(``DJANGOTAILORING_TEST_DB=postgres``), wrk (``apt-get install wrk``) and the ``bench``
extra; without them it skips, saying why, except that a missing wrk fails when
``DJANGOTAILORING_TEST_DB_REQUIRED=1`` (CI), where it is installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarkruns import ROOT, SUFFIX
from tests.databases import POSTGRES

# The benchmarks live beside the tests in the repository, not in the package.
servers_cli = pytest.importorskip(
    "benchmarks.servers.cli", reason="the benchmarks/ folder or psycopg is not here"
)
REQUIRED = os.environ.get("DJANGOTAILORING_TEST_DB_REQUIRED") == "1"
MISSING = servers_cli.missing_prerequisites()
MISSING_PACKAGES = [name for name in MISSING if not name.startswith("wrk")]
WRK_MISSING = any(name.startswith("wrk") for name in MISSING)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        bool(MISSING_PACKAGES),
        reason=f"real-server benchmark needs {', '.join(MISSING_PACKAGES)}; "
        'install them with: pip install -e ".[bench]"',
    ),
]

CONFIGS = list(servers_cli.SMOKE_CONFIGS)
CASES = list(servers_cli.CASES)
VERIFIED = re.compile(r"^- verification passed: \[(?P<config>[\w-]+)\] (?P<case>\w+)$", re.M)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    if WRK_MISSING:
        message = "the real-server benchmark needs wrk: apt-get install wrk"
        if REQUIRED:
            pytest.fail(f"{message} (DJANGOTAILORING_TEST_DB_REQUIRED=1)")
        pytest.skip(message)
    output = tmp_path_factory.mktemp("servers") / "results.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.servers",
            "--smoke",
            "--pg-name",
            f"djangotailoring_servers_smoke{SUFFIX}",
            "--pg-host",
            POSTGRES["HOST"],
            "--pg-port",
            str(POSTGRES["PORT"]),
            "--pg-user",
            POSTGRES["USER"],
            "--json",
            str(output),
        ],
        cwd=ROOT,
        env={**os.environ, "PGPASSWORD": POSTGRES["PASSWORD"]},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout, json.loads(Path(output).read_text())


def test_smoke_run_reports_verification_passed_for_every_case(
    smoke: tuple[str, dict[str, Any]],
) -> None:
    stdout, _ = smoke

    passed = {(match["config"], match["case"]) for match in VERIFIED.finditer(stdout)}
    assert passed == {(config, case) for config in CONFIGS for case in CASES}, stdout
    assert "every run of every case passed verification" in stdout


def test_smoke_run_compares_events_by_request_id(smoke: tuple[str, dict[str, Any]]) -> None:
    _, results = smoke

    for config in results["configs"]:
        for run in config["runs"]:
            verification = run["verification"]
            assert verification["passed"], (config["key"], run["case"], verification)
            if run["case"] in {"eventhandler", "create_event"}:
                assert verification["method"] == "by id"
                assert verification["expected"] > 0
                assert verification["missing"] == verification["duplicates"] == 0
