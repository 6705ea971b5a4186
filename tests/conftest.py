"""Shared fixtures: logging is restored after every test; backend markers skip visibly."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from hypothesis import settings as hypothesis_settings

from djangotailoring.testing.fixtures import _with_database

# CI explores the same examples on every run, so a red build always reproduces; locally
# hypothesis keeps searching new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

_VENDORS = {"postgres": "postgresql", "mariadb": "mysql"}


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    lines = [f"djangotailoring test database: {db['ENGINE']} {db.get('NAME')}"]
    reason = getattr(settings, "DATABASE_UNAVAILABLE_REASON", None)
    if reason:
        lines.append(f"fell back to SQLite: {reason}")
    return lines


_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def _open_every_database(item: pytest.Item) -> None:
    """With Events on a database of their own, a test that uses the database uses both."""
    cls = getattr(item, "cls", None)
    if cls is not None and hasattr(cls, "databases"):
        cls.databases = "__all__"
    uses_database = item.get_closest_marker("django_db") is not None
    if uses_database or _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        # The plugin's own way of opening the events' database for a test (captured_events).
        _with_database(item, settings.TRACKING_DATABASE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    vendor = connection.vendor
    fallback = getattr(settings, "DATABASE_UNAVAILABLE_REASON", None)
    apart = getattr(settings, "TRACKING_DATABASE", None) is not None
    for item in items:
        if apart:
            _open_every_database(item)
        for marker, wanted in _VENDORS.items():
            if item.get_closest_marker(marker) and vendor != wanted:
                reason = (
                    f"needs {marker}: {fallback}"
                    if fallback
                    else f"needs {marker}; run with DJANGOTAILORING_TEST_DB={marker}"
                )
                item.add_marker(pytest.mark.skip(reason=reason))


def _snapshot(logger: logging.Logger) -> dict[str, Any]:
    return {
        "handlers": list(logger.handlers),
        "filters": list(logger.filters),
        "level": logger.level,
        "propagate": logger.propagate,
        "disabled": logger.disabled,
    }


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Put every logger back as it was, and close handlers a test's dictConfig created."""
    manager = logging.root.manager
    before = {
        name: _snapshot(obj)
        for name, obj in list(manager.loggerDict.items())
        if isinstance(obj, logging.Logger)
    }
    root = _snapshot(logging.root)
    yield
    kept = {id(handler) for state in [root, *before.values()] for handler in state["handlers"]}
    for name, obj in list(manager.loggerDict.items()):
        if not isinstance(obj, logging.Logger):
            continue
        for handler in obj.handlers:
            if id(handler) not in kept:
                handler.close()
        state = before.get(name)
        if state is None:
            obj.handlers.clear()
            obj.filters.clear()
            obj.setLevel(logging.NOTSET)
            obj.propagate = True
            obj.disabled = False
        else:
            obj.level = state["level"]
            obj.propagate = state["propagate"]
            obj.disabled = state["disabled"]
            obj.handlers[:] = state["handlers"]
            obj.filters[:] = state["filters"]
    for handler in logging.root.handlers:
        if id(handler) not in kept:
            handler.close()
    logging.root.handlers[:] = root["handlers"]
    logging.root.filters[:] = root["filters"]
    logging.root.setLevel(root["level"])
    logging.root.disabled = root["disabled"]
    manager._clear_cache()
