"""EventHandler setups that cannot work are reported by ``check`` (and so stop ``migrate``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from djangotailoring.tracking.handlerchecks import check_event_handler_setup

ROOT = Path(__file__).resolve().parents[2]
HANDLER = "djangotailoring.handlers.EventHandler"


def logging_with(**options: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "handlers": {"events": {"class": HANDLER, **options}},
        "loggers": {"app": {"handlers": ["events"], "level": "INFO"}},
    }


def ids(**options: Any) -> list[str]:
    with override_settings(LOGGING=logging_with(**options)):
        return [message.id or "" for message in check_event_handler_setup()]


# A project without the app: LOGGING is applied by django.setup() as in any project.
PROJECT_WITHOUT_APP = """
import os
SECRET_KEY = "x"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.path.join(os.path.dirname(__file__), "db.sqlite3")}}
USE_TZ = True
TRACKING_JOURNAL = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "events": {"class": "djangotailoring.handlers.EventHandler", "handle_sigterm": False,
                   "spill_path": os.path.join(os.path.dirname(__file__), "spill.jsonl")},
        "console": {"class": "logging.StreamHandler"},
    },
    "loggers": {
        "app": {"handlers": ["events"], "level": "INFO"},
        "djangotailoring.handlers": {"handlers": ["console"], "level": "WARNING"},
    },
}
"""


def run_project(
    tmp_path: Path, *args: str, user: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
    }
    env.pop("COVERAGE_PROCESS_START", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project_without_app(tmp_path: Path) -> Path:
    (tmp_path / "project_settings.py").write_text(PROJECT_WITHOUT_APP)
    return tmp_path


def test_check_fails_when_the_handler_is_configured_without_the_app(
    project_without_app: Path,
) -> None:
    result = run_project(project_without_app, "-m", "django", "check")
    assert result.returncode == 1, result.stderr
    assert "djangotailoring.E010" in result.stderr
    assert "Add 'djangotailoring.tracking' to INSTALLED_APPS" in result.stderr


def test_migrate_stops_when_the_handler_is_configured_without_the_app(
    project_without_app: Path,
) -> None:
    result = run_project(project_without_app, "-m", "django", "migrate")
    assert result.returncode == 1
    assert "djangotailoring.E010" in result.stderr
    assert not (project_without_app / "db.sqlite3").exists()


def test_the_handlers_warning_without_the_app_says_what_to_do(project_without_app: Path) -> None:
    script = textwrap.dedent(
        """
        import logging, django
        django.setup()
        logging.getLogger("app").info("Hello")
        handler = logging.getLogger("app").handlers[0]
        handler.flush(timeout=5)
        handler.close()
        """
    )
    result = run_project(project_without_app, "-c", script)
    assert "no such table: tracking_writtenbatch" in result.stderr
    assert (
        "Add 'djangotailoring.tracking' to INSTALLED_APPS and run 'python manage.py migrate'"
        in result.stderr
    )


def test_no_error_for_a_handler_with_the_app_installed(tmp_path: Path) -> None:
    assert ids(spill_path=str(tmp_path / "spill.jsonl")) == []


def test_spill_path_in_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    assert ids(spill_path=str(tmp_path / "absent" / "spill.jsonl")) == ["djangotailoring.E011"]


@pytest.mark.parametrize("recipe", ["recipes/event_handler.py", "recipes/events_database.py"])
def test_the_recipes_placeholder_spill_path_is_an_error(recipe: str) -> None:
    from tests.docs.docfiles import load_logging

    with override_settings(LOGGING=load_logging(recipe)):
        found = [message.id for message in check_event_handler_setup()]
    assert found == ["djangotailoring.E011"]


def test_spill_path_that_is_a_folder_is_an_error(tmp_path: Path) -> None:
    assert ids(spill_path=str(tmp_path)) == ["djangotailoring.E013"]


def ids_as_unprivileged_user(**options: Any) -> list[str]:
    """``ids(**options)`` in a forked child that runs as ``nobody`` when we are root."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        code = 1
        try:
            os.close(reader)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            os.write(writer, ",".join(ids(**options)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        found = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return found.split(",") if found else []


def test_spill_path_in_a_folder_this_user_cannot_write_is_an_error() -> None:
    # Root may write anywhere, so the check runs as an unprivileged user, in a folder that
    # user can reach but not write.
    base = Path(tempfile.mkdtemp(prefix="djangotailoring-readonly-"))
    try:
        base.chmod(0o755)
        folder = base / "readonly"
        folder.mkdir(mode=0o555)
        assert ids_as_unprivileged_user(spill_path=str(folder / "spill.jsonl")) == [
            "djangotailoring.E012"
        ]
    finally:
        shutil.rmtree(base)
