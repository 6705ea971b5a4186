"""Choosing the test database from the environment, and telling whether it is reachable."""

from __future__ import annotations

import os
import socket
import tempfile
from typing import Any

# Lets several test runs share one server (or one temp dir) without clashing.
SUFFIX = os.environ.get("DJANGOTAILORING_TEST_DB_SUFFIX", "")

SQLITE: dict[str, Any] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get(
        "DJANGOTAILORING_SQLITE_NAME",
        os.path.join(tempfile.gettempdir(), f"djangotailoring-tests{SUFFIX}.sqlite3"),
    ),
    # A file, not memory: background writers, threads and forked children open their own
    # connections and must see the same database.
    "TEST": {
        "NAME": os.environ.get(
            "DJANGOTAILORING_SQLITE_TEST_NAME",
            os.path.join(tempfile.gettempdir(), f"djangotailoring-test-db{SUFFIX}.sqlite3"),
        )
    },
}

POSTGRES: dict[str, Any] = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": os.environ.get("DJANGOTAILORING_PG_NAME", "test"),
    "USER": os.environ.get("DJANGOTAILORING_PG_USER", "postgres"),
    "PASSWORD": os.environ.get("DJANGOTAILORING_PG_PASSWORD", ""),
    "HOST": os.environ.get("DJANGOTAILORING_PG_HOST", "127.0.0.1"),
    "PORT": os.environ.get("DJANGOTAILORING_PG_PORT", "5432"),
    "TEST": {"NAME": f"test_djangotailoring{SUFFIX}"},
}

MARIADB: dict[str, Any] = {
    "ENGINE": "django.db.backends.mysql",
    "NAME": os.environ.get("DJANGOTAILORING_MYSQL_NAME", "test"),
    "USER": os.environ.get("DJANGOTAILORING_MYSQL_USER", "root"),
    "PASSWORD": os.environ.get("DJANGOTAILORING_MYSQL_PASSWORD", ""),
    "HOST": os.environ.get("DJANGOTAILORING_MYSQL_HOST", "127.0.0.1"),
    "PORT": os.environ.get("DJANGOTAILORING_MYSQL_PORT", "3306"),
    "OPTIONS": {"charset": "utf8mb4"},
    "TEST": {
        "NAME": f"test_djangotailoring{SUFFIX}",
        "CHARSET": "utf8mb4",
        "COLLATION": "utf8mb4_unicode_ci",
    },
}

_CHOICES = {"sqlite": SQLITE, "postgres": POSTGRES, "mariadb": MARIADB}
_DRIVERS = {"postgres": "psycopg", "mariadb": "MySQLdb"}


def _unreachable(kind: str, config: dict[str, Any]) -> str | None:
    driver = _DRIVERS.get(kind)
    if driver is None:
        return None
    try:
        __import__(driver)
    except ImportError:
        return f"{kind}: the driver {driver!r} is not installed"
    try:
        with socket.create_connection((config["HOST"], int(config["PORT"])), timeout=2):
            return None
    except OSError as error:
        return f"{kind} at {config['HOST']}:{config['PORT']} is unreachable ({error})"


def choose_database(kind: str, *, required: bool) -> tuple[dict[str, Any], str | None]:
    """Return ``DATABASES`` for ``kind`` and, when it had to fall back, the reason."""
    if kind not in _CHOICES:
        raise ValueError(f"DJANGOTAILORING_TEST_DB must be one of {sorted(_CHOICES)}, not {kind!r}")
    reason = _unreachable(kind, _CHOICES[kind])
    if reason is not None:
        if required:
            raise RuntimeError(f"The required test database is not available: {reason}")
        return {"default": dict(SQLITE)}, reason
    return {"default": dict(_CHOICES[kind])}, None


def events_database(kind: str) -> dict[str, Any]:
    """A database of ``kind`` of its own for Events (``TRACKING_DATABASE``): another database
    than the default one, on the same server for PostgreSQL and MariaDB, another file for
    SQLite."""
    if kind not in _CHOICES:
        raise ValueError(
            f"DJANGOTAILORING_TEST_EVENTS_DB must be one of {sorted(_CHOICES)}, not {kind!r}"
        )
    reason = _unreachable(kind, _CHOICES[kind])
    if reason is not None:
        raise RuntimeError(f"The events' test database is not available: {reason}")
    config: dict[str, Any] = {**_CHOICES[kind], "TEST": dict(_CHOICES[kind]["TEST"])}
    if kind == "sqlite":
        config["NAME"] = os.path.join(
            tempfile.gettempdir(), f"djangotailoring-events{SUFFIX}.sqlite3"
        )
        config["TEST"]["NAME"] = os.path.join(
            tempfile.gettempdir(), f"djangotailoring-test-events{SUFFIX}.sqlite3"
        )
    else:
        config["TEST"]["NAME"] = f"test_djangotailoring_events{SUFFIX}"
    # A process that a test starts uses the test's events database itself.
    config["NAME"] = os.environ.get("DJANGOTAILORING_TEST_EVENTS_NAME", config["NAME"])
    return config
