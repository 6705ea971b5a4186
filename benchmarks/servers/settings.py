"""Django settings of the real-server benchmark's project.

Read from the environment, set by ``python -m benchmarks.servers`` for each server it starts:

- ``DJANGOTAILORING_SERVERS_CASE``: what the view's ``PageViewed`` goes to (see ``CASES``);
- ``DJANGOTAILORING_SERVERS_INTERFACE``: ``wsgi`` (persistent connections) or ``asgi``
  (psycopg's connection pool: under ASGI every request runs its queries in a thread of its
  own, so persistent connections would mean one new connection per request);
- ``DJANGOTAILORING_SERVERS_DIR``: the run's temporary folder (the ``FileHandler``'s file,
  the per-worker GC statistics);
- ``DJANGOTAILORING_BENCH_PG_*``: the PostgreSQL database (name, host, port, user, password),
  as for ``python -m benchmarks``;
- ``DJANGOTAILORING_SERVERS_JOURNAL_DIR``: ``TRACKING_JOURNAL_DIR``, EventHandler's journal
  folder (unset: a folder in the run's temporary folder).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

#: Case key -> (handler of the logger ``bench.requests``, what the view does per request).
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "null": ({"class": "logging.NullHandler"}, "log"),
    "file": ({"class": "logging.FileHandler", "filename": "", "formatter": "plain"}, "log"),
    "eventhandler": ({"class": "djangotailoring.handlers.EventHandler"}, "log"),
    "db_logger": ({"class": "django_db_logger.db_log_handler.DatabaseLogHandler"}, "log"),
    "create_event": ({"class": "logging.NullHandler"}, "create_event"),
}

CASE = os.environ.get("DJANGOTAILORING_SERVERS_CASE", "null")
if CASE not in CASES:
    raise ValueError(f"DJANGOTAILORING_SERVERS_CASE must be one of {sorted(CASES)}, not {CASE!r}")
INTERFACE = os.environ.get("DJANGOTAILORING_SERVERS_INTERFACE", "wsgi")
RUN_DIR = os.environ.get("DJANGOTAILORING_SERVERS_DIR", tempfile.gettempdir())
LOG_FILE = os.path.join(RUN_DIR, "requests.log")
GC_DIR = os.path.join(RUN_DIR, "gc")
#: ``"log"``: one ``logger.info("PageViewed")`` per request; ``"create_event"``: one Event.
RECORD = CASES[CASE][1]

# The run's own folder by default: a journal left by an earlier run is never replayed here.
TRACKING_JOURNAL_DIR = os.environ.get("DJANGOTAILORING_SERVERS_JOURNAL_DIR") or os.path.join(
    RUN_DIR, "journal"
)

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

_CONNECTIONS: dict[str, Any] = (
    # Django's own pool (psycopg_pool); it cannot be combined with persistent connections.
    {"CONN_MAX_AGE": 0, "OPTIONS": {"pool": {"min_size": 2, "max_size": 16, "timeout": 10}}}
    if INTERFACE == "asgi"
    # Persistent connections, as a production deployment has them: a new connection per
    # request would dominate every case's latency.
    else {"CONN_MAX_AGE": 600}
)

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DJANGOTAILORING_BENCH_PG_NAME", "djangotailoring_servers_bench"),
        "HOST": os.environ.get("DJANGOTAILORING_BENCH_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DJANGOTAILORING_BENCH_PG_PORT", "5432"),
        "USER": os.environ.get("DJANGOTAILORING_BENCH_PG_USER", "postgres"),
        "PASSWORD": os.environ.get("DJANGOTAILORING_BENCH_PG_PASSWORD", ""),
        **_CONNECTIONS,
    }
}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "djangotailoring.tracking",
    "django_db_logger",
    "benchmarks.servers.site",
]

MIDDLEWARE = [
    "djangotailoring.tracking.middleware.RequestContextMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "benchmarks.servers.urls"
WSGI_APPLICATION = "benchmarks.servers.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _handler() -> dict[str, Any]:
    handler = dict(CASES[CASE][0])
    if handler["class"] == "logging.FileHandler":
        handler["filename"] = LOG_FILE
    return handler


LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"bench": _handler(), "errors": {"class": "logging.StreamHandler"}},
    "loggers": {
        "bench.requests": {"handlers": ["bench"], "level": "INFO", "propagate": False},
        # A failing request shows its traceback in the server's output (kept by the runner).
        "django.request": {"handlers": ["errors"], "level": "ERROR", "propagate": False},
    },
}
