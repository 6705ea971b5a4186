"""The README is true: its links lead somewhere, its imports import, its settings are complete."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)#]+)\)")
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_every_relative_link_and_image_exists() -> None:
    targets = [target for target in LINK.findall(README) if "://" not in target]
    assert "LICENSE" in targets
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert missing == []


def test_every_import_it_shows_works() -> None:
    imports = [
        line
        for block in PYTHON_BLOCK.findall(README)
        for line in block.splitlines()
        if line.startswith(("import ", "from "))
    ]
    assert any("create_event" in line for line in imports)
    for line in imports:
        exec(line, {})  # noqa: S102 (the README's own import lines)


def test_the_settings_it_shows_name_every_app_the_tracking_app_needs() -> None:
    block = next(block for block in PYTHON_BLOCK.findall(README) if "INSTALLED_APPS" in block)
    for needed in (
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "djangotailoring.tracking",
    ):
        assert needed in block
    assert "djangotailoring.handlers.EventHandler" in block
