"""Django settings of the benchmark project: the tracking app beside its peers.

The database comes from the environment, set by ``python -m benchmarks`` for each run:
``DJANGOTAILORING_BENCH_DB`` (``sqlite`` or ``postgres``), ``DJANGOTAILORING_BENCH_SQLITE``
(the SQLite file), ``DJANGOTAILORING_BENCH_SQLITE_JOURNAL`` (``delete``, SQLite's own
default, or ``wal``) and ``DJANGOTAILORING_BENCH_PG_*`` (name, host, port, user, password).
Durability is never traded for speed: SQLite keeps ``synchronous=FULL`` and PostgreSQL its
server settings.
"""

from __future__ import annotations

import os
from typing import Any

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]


def _database() -> dict[str, Any]:
    vendor = os.environ.get("DJANGOTAILORING_BENCH_DB", "sqlite")
    if vendor == "postgres":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("DJANGOTAILORING_BENCH_PG_NAME", "djangotailoring_bench"),
            "HOST": os.environ.get("DJANGOTAILORING_BENCH_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DJANGOTAILORING_BENCH_PG_PORT", "5432"),
            "USER": os.environ.get("DJANGOTAILORING_BENCH_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("DJANGOTAILORING_BENCH_PG_PASSWORD", ""),
        }
    if vendor != "sqlite":
        raise ValueError(f"DJANGOTAILORING_BENCH_DB must be sqlite or postgres, not {vendor!r}")
    journal = os.environ.get("DJANGOTAILORING_BENCH_SQLITE_JOURNAL", "delete")
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGOTAILORING_BENCH_SQLITE", "benchmark.sqlite3"),
        "OPTIONS": {
            "init_command": f"PRAGMA journal_mode={journal}; PRAGMA synchronous=FULL;",
            # Writers from several threads (the background handler) wait instead of failing.
            "timeout": 30,
        },
    }


DATABASES = {"default": _database()}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "djangotailoring.tracking",
    "django_db_logger",
    "pinax.eventlog",
    "benchmarks.benchapp",
]

MIDDLEWARE = [
    "djangotailoring.tracking.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "benchmarks.urls"

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"
# The benchmark attaches each handler it measures itself; nothing else should log.
LOGGING_CONFIG = None
