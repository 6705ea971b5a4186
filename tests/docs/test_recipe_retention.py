"""The retention crontab's commands archive yesterday's events and prune old ones."""

from __future__ import annotations

import datetime
import io
import json
import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from djangotailoring.tracking.models import Event
from tests.docs.docfiles import DOCS

pytestmark = pytest.mark.django_db

YESTERDAY = re.escape(r"$(date -u -d yesterday +\%F)")


def crontab_commands(day: datetime.date, archive: Path) -> list[list[str]]:
    """The ``manage.py`` arguments of each crontab line, with the shell parts filled in."""
    commands = []
    for line in (DOCS / "recipes" / "events.crontab").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "manage.py" not in line:
            continue
        command = line.split("manage.py", 1)[1]
        command = re.sub(YESTERDAY, day.isoformat(), command)
        command = command.replace("/srv/archive/", f"{archive}/")
        commands.append(shlex.split(command))
    return commands


def test_crontab_archives_yesterday_then_prunes_events_older_than_90_days(
    tmp_path: Path,
) -> None:
    now = timezone.now()
    yesterday = (now - datetime.timedelta(days=1)).date()
    noon = datetime.datetime.combine(yesterday, datetime.time(12), tzinfo=datetime.timezone.utc)
    Event.objects.create(name="Yesterday", timestamp=noon)
    Event.objects.create(name="Today", timestamp=now)
    Event.objects.create(name="Ancient", timestamp=now - datetime.timedelta(days=91))

    export, prune = crontab_commands(yesterday, tmp_path)
    export_report, prune_report = io.StringIO(), io.StringIO()
    call_command(*export, stdout=export_report)
    call_command(*prune, stdout=prune_report)

    archive = tmp_path / f"events-{yesterday.isoformat()}.jsonl"
    lines = archive.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["Yesterday"]
    assert sorted(Event.objects.values_list("name", flat=True)) == ["Today", "Yesterday"]
    assert "Exported 1 events" in export_report.getvalue()
    assert "Deleted 1 events" in prune_report.getvalue()
