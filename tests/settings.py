"""Settings for the test suite.

The database is chosen by ``DJANGOTAILORING_TEST_DB`` (``sqlite``, the default,
``postgres`` or ``mariadb``). When the chosen server cannot be reached the run falls back
to SQLite and the tests that need that server skip with the reason, unless
``DJANGOTAILORING_TEST_DB_REQUIRED=1`` (set by CI), which makes it an error instead.
"""

from __future__ import annotations

import os
import tempfile

from tests.databases import choose_database, events_database

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
# EventHandler's journals: a folder of this test run's own (inherited by the processes the
# tests start), never the temp directory's default that other runs share.
TRACKING_JOURNAL_DIR = os.environ.setdefault(
    "DJANGOTAILORING_TEST_JOURNAL_DIR", tempfile.mkdtemp(prefix="djangotailoring-test-journal-")
)

DATABASES, DATABASE_UNAVAILABLE_REASON = choose_database(
    os.environ.get("DJANGOTAILORING_TEST_DB", "sqlite"),
    required=os.environ.get("DJANGOTAILORING_TEST_DB_REQUIRED") == "1",
)

# Events on a database of their own (TRACKING_DATABASE), of the kind that
# DJANGOTAILORING_TEST_EVENTS_DB names: tests/tracking/test_tracking_database.py runs the
# suite's layout tests in a child pytest with it.
if os.environ.get("DJANGOTAILORING_TEST_EVENTS_DB"):
    DATABASES["events"] = events_database(os.environ["DJANGOTAILORING_TEST_EVENTS_DB"])
    TRACKING_DATABASE = "events"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "djangotailoring.tracking",
    "tests.testapp",
    # DRF's TokenAuthentication: users set late by another authentication layer.
    "rest_framework.authtoken",
]

MIDDLEWARE = [
    "djangotailoring.tracking.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "/static/"

# The suite configures logging itself, test by test, with real dictConfig dicts.
LOGGING_CONFIG = None
