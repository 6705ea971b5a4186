"""Python processes that the handler tests start, use this test's database, and reap."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_NAME_VARIABLES = {
    "sqlite": ("sqlite", "DJANGOTAILORING_SQLITE_NAME"),
    "postgresql": ("postgres", "DJANGOTAILORING_PG_NAME"),
    "mysql": ("mariadb", "DJANGOTAILORING_MYSQL_NAME"),
}
_children: list[subprocess.Popen[str]] = []


def child_env() -> dict[str, str]:
    """Environment for a child process that uses this test's database."""
    kind, variable = _NAME_VARIABLES[connection.vendor]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DJANGOTAILORING_TEST_DB=kind,
        PYTHONPATH=ROOT,
    )
    env[variable] = str(connection.settings_dict["NAME"])
    if getattr(settings, "TRACKING_DATABASE", None) == "events":
        # Events on a database of their own (TRACKING_DATABASE): the child uses this test's.
        env["DJANGOTAILORING_TEST_EVENTS_NAME"] = str(connections["events"].settings_dict["NAME"])
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def spawn(script: str, options: dict[str, Any], *, wait: bool = True) -> subprocess.Popen[str]:
    """Run ``script`` with ``options`` (JSON in ``argv[1]``); wait for it to print ``ready``."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, json.dumps(options)],
        env=child_env(),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _children.append(child)
    if wait:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.communicate(timeout=30)
    return child


@pytest.fixture(autouse=True)
def _no_child_outlives_its_test() -> Iterator[None]:
    yield
    while _children:
        child = _children.pop()
        if child.poll() is None:
            child.kill()
        child.communicate()


def unreachable_settings() -> dict[str, Any]:
    """``connection_settings`` that point the handler at a database that is not there."""
    if connection.vendor == "sqlite":
        return {"NAME": os.path.join(os.devnull, "missing", "db.sqlite3")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {"HOST": "127.0.0.1", "PORT": str(port)}
