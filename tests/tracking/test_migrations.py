from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings


@pytest.mark.django_db
def test_no_pending_migrations() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)


@pytest.mark.django_db
@override_settings(DEFAULT_AUTO_FIELD="django.db.models.BigAutoField")
def test_project_default_auto_field_creates_no_migration() -> None:
    call_command("makemigrations", "tracking", "--check", "--dry-run", stdout=StringIO())
