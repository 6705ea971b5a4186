"""When the events tables are missing, the handler's warning says to run ``migrate``."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.handlers.conftest import HandlerFactory

log = logging.getLogger("app")


@pytest.fixture
def without_tables(tmp_path: Path, transactional_db: None) -> Iterator[dict[str, Any]]:
    """Connection settings of a real database of the test's backend that has no tables."""
    vendor = connection.vendor
    if vendor == "sqlite":
        yield {"NAME": str(tmp_path / "empty.sqlite3")}
    elif vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CREATE SCHEMA IF NOT EXISTS no_tables")
        yield {"OPTIONS": {"options": "-c search_path=no_tables"}}
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA no_tables CASCADE")
    else:
        name = f"{connection.settings_dict['NAME']}_no_tables"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS {name}")
        yield {"NAME": name}
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name}")


def test_missing_tables_warning_says_to_run_migrate(
    event_handler: HandlerFactory,
    without_tables: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = event_handler(journal=False, connection_settings=without_tables)
    with caplog.at_level(logging.WARNING, logger="djangotailoring.handlers"):
        log.info("Hello")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "migrate" not in caplog.text:
            time.sleep(0.05)
        handler.close()
    assert "tracking_writtenbatch" in caplog.text
    assert "The events tables are missing: run 'python manage.py migrate'" in caplog.text
