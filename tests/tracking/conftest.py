"""Fixtures of the tracking app's tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.fixture
def admin_client_logged_in(db: None) -> Client:
    """A test client logged in as a superuser."""
    user = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client
