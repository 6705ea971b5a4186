"""An app whose ``apps.py`` imports the creation functions before the registry is ready."""

from __future__ import annotations

from django.apps import AppConfig

from djangotailoring.tracking import EventNames, acreate_event, create_event, create_events

__all__ = ["EarlyImportsConfig"]


class EarlyImportsConfig(AppConfig):
    name = "tests.earlyimports"
    label = "earlyimports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Kept for the test to call once the registry is ready.
        self.functions = (create_event, acreate_event, create_events, EventNames)
