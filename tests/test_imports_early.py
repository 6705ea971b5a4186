"""The creation functions import before the app registry is ready, and work once it is."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = """
import asyncio, sys
# As in a logging filter module or a settings helper: before settings and the registry.
from djangotailoring.tracking import EventNames, acreate_event, create_event, create_events
assert "djangotailoring.tracking.models" not in sys.modules, "models imported too early"

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "djangotailoring.tracking",
        "tests.earlyimports",  # its apps.py imports the same names at top level
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
    USE_TZ=True,
)
django.setup()
from django.apps import apps
from django.core.management import call_command

call_command("migrate", verbosity=0)
from djangotailoring.tracking.models import Event

early = apps.get_app_config("earlyimports").functions
assert early == (create_event, acreate_event, create_events, EventNames)
create_event(EventNames.UserConsented)
asyncio.run(acreate_event("Async"))
create_events([{"name": "Bulk1"}, {"name": "Bulk2"}])
early[0]("FromAppsPy")
print(sorted(Event.objects.values_list("name", flat=True)))
"""


def test_creation_functions_imported_before_setup_create_rows_after_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(SCRIPT), str(tmp_path / "db")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        sorted(["UserConsented", "Async", "Bulk1", "Bulk2", "FromAppsPy"])
    )
