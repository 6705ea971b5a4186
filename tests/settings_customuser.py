"""Test settings with a custom user model whose ``USERNAME_FIELD`` is ``email``.

``AUTH_USER_MODEL`` cannot change within a process: ``tests/tracking/test_receivers.py``
runs ``tests/customuser/login_checks.py`` with these settings in a child pytest.
"""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

# tests.testapp relates to auth.User itself, which is swapped out here.
INSTALLED_APPS = [*(app for app in INSTALLED_APPS if app != "tests.testapp"), "tests.customuser"]
AUTH_USER_MODEL = "customuser.EmailUser"
