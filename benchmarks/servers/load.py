"""Running wrk with the benchmark's Lua script and reading what it recorded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "requests.lua"
#: A request that takes longer than this counts as a wrk timeout (and loses its latency).
TIMEOUT = "30s"


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass
class Load:
    """What one wrk run did: its summary and the ids of the 2xx responses it recorded."""

    phase: str
    requests: int
    seconds: float
    latency_us: dict[str, float]
    errors: dict[str, int]
    sent: int
    ids: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "requests": self.requests,
            "seconds": self.seconds,
            "requests_per_second": self.per_second,
            "latency_us": self.latency_us,
            "errors": self.errors,
            "sent": self.sent,
            "recorded_2xx": len(self.ids),
        }


def run_wrk(
    base_url: str,
    path: str,
    *,
    threads: int,
    connections: int,
    seconds: float,
    phase: str,
    prefix: str,
    folder: str,
) -> Load:
    """Run wrk for ``seconds`` against ``base_url + path``; ids start with ``prefix``."""
    os.makedirs(folder, exist_ok=True)
    command = [
        wrk_path() or "wrk",
        "--threads",
        str(threads),
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        TIMEOUT,
        "--latency",
        "--script",
        str(SCRIPT),
        base_url + path,
        "--",
        prefix,
        folder,
        phase,
        path,
    ]
    completed = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    summary_path = os.path.join(folder, "summary.json")
    if completed.returncode != 0 or not os.path.exists(summary_path):
        raise RuntimeError(
            f"wrk exited with status {completed.returncode}: {completed.stderr or completed.stdout}"
        )
    with open(summary_path, encoding="utf-8") as stream:
        summary = json.load(stream)
    ids: list[str] = []
    for name in sorted(os.listdir(folder)):
        if name.startswith("ids-") and name.endswith(".txt"):
            with open(os.path.join(folder, name), encoding="utf-8") as stream:
                ids.extend(line.strip() for line in stream if line.strip())
    return Load(
        phase=phase,
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        latency_us=summary["latency_us"],
        errors=summary["errors"],
        sent=summary["sent"],
        ids=ids,
    )
