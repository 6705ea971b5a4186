"""System checks of ``EventHandler`` setups: the app it writes to, the folder of its spill file.

``EventHandler`` registers these when it is constructed (``LOGGING`` is applied before the
checks run), so they run even when ``djangotailoring.tracking`` is not installed and its
``ready()`` never registers anything; the app registers them too, for setups that build
their handlers later. Importing this module imports no model.
"""

from __future__ import annotations

import os
from typing import Any

from django.core import checks

from djangotailoring.tracking.checks import event_handler_entries

__all__ = ["check_event_handler_setup", "register"]

APP = "djangotailoring.tracking"


def _configured() -> list[str]:
    """Where EventHandlers are configured: ``LOGGING`` entries and handlers already built."""
    from djangotailoring.handlers.lifecycle import live_handlers

    where = [f"LOGGING handler {name!r}" for name, _ in event_handler_entries()]
    if not where and live_handlers():
        where.append("an EventHandler built in code")
    return where


def _spill_paths() -> list[tuple[str, str]]:
    return [
        (f"LOGGING handler {name!r}", str(options["spill_path"]))
        for name, options in event_handler_entries()
        if options.get("spill_path")
    ]


def _spill_folder_error(where: str, spill_path: str) -> checks.CheckMessage | None:
    folder = os.path.dirname(os.path.abspath(spill_path))
    hint = (
        "Point spill_path at a file in an existing folder this process can write, on a disk "
        "that survives restarts (the recipes' paths are placeholders)."
    )
    if os.path.isdir(spill_path):
        return checks.Error(
            f"The spill_path of {where} is a folder ({spill_path}); it must name a file.",
            hint=hint,
            id="djangotailoring.E013",
        )
    if not os.path.isdir(folder):
        return checks.Error(
            f"The folder of the spill_path of {where} does not exist: {folder}.",
            hint=hint,
            id="djangotailoring.E011",
        )
    if not os.access(folder, os.W_OK | os.X_OK) or (
        os.path.exists(spill_path) and not os.access(spill_path, os.W_OK)
    ):
        return checks.Error(
            f"This user cannot write the spill file of {where} in {folder}.",
            hint=hint,
            id="djangotailoring.E012",
        )
    return None


def check_event_handler_setup(**kwargs: Any) -> list[checks.CheckMessage]:
    """EventHandler without the app (E010); a spill file that cannot be written (E011 to E013)."""
    from django.apps import apps

    errors: list[checks.CheckMessage] = []
    configured = _configured()
    if configured and not apps.is_installed(APP):
        errors.append(
            checks.Error(
                f"EventHandler is configured ({', '.join(configured)}) but {APP!r} is not in "
                "INSTALLED_APPS, so there is no table to store its events in.",
                hint=f"Add {APP!r} to INSTALLED_APPS and run 'python manage.py migrate'.",
                id="djangotailoring.E010",
            )
        )
    for where, spill_path in _spill_paths():
        error = _spill_folder_error(where, spill_path)
        if error is not None:
            errors.append(error)
    return errors


def register() -> None:
    """Register the check (once: Django's registry keeps a set)."""
    checks.register(check_event_handler_setup)
