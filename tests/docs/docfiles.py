"""The files under ``docs/``: running the ones pages include, and building the site."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"


def load(relative: str) -> dict[str, Any]:
    """Run ``docs/<relative>`` as a script and return its globals."""
    return runpy.run_path(str(DOCS / relative))


def load_logging(relative: str) -> dict[str, Any]:
    """The ``LOGGING`` dict a recipe file defines."""
    config = load(relative)["LOGGING"]
    assert isinstance(config, dict)
    return config


@dataclass(frozen=True)
class DocsBuild:
    returncode: int
    warnings: str
    html: Path

    def inventory(self) -> dict[str, set[str]]:
        """The documented objects, by role (``py:class``, ``std:program`` ...)."""
        return read_inventory(self.html / "objects.inv")


def build_docs(out: Path) -> DocsBuild:
    """Build the HTML site into ``out`` the way CI does: warnings are errors."""
    html = out / "html"
    warnings_file = out / "warnings.txt"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    command += ["-d", str(out / "doctrees"), "-w", str(warnings_file), str(DOCS), str(html)]
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    warnings = warnings_file.read_text(encoding="utf-8") if warnings_file.exists() else ""
    return DocsBuild(completed.returncode, warnings + completed.stderr, html)


def read_inventory(path: Path) -> dict[str, set[str]]:
    """Parse a Sphinx ``objects.inv`` (version 2) into names by role."""
    raw = path.read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = raw.index(b"\n", header_end) + 1
    assert raw.startswith(b"# Sphinx inventory version 2")
    entries: dict[str, set[str]] = {}
    for line in zlib.decompress(raw[header_end:]).decode("utf-8").splitlines():
        name, role, _rest = line.split(" ", 2)
        entries.setdefault(role, set()).add(name)
    return entries
