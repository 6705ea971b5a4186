"""Settings of the Celery worker the tests start: the test run's database, real LOGGING.

``DJANGOTAILORING_CELERYSITE_DATABASE`` holds the test run's database settings as JSON (the
worker sees the very database the test reads); ``DJANGOTAILORING_CELERYSITE_LOG`` the file
the worker's records are written to, one formatted line each;
``DJANGOTAILORING_CELERYSITE_FLUSH_INTERVAL`` the flush interval of its ``EventHandler``.
"""

from __future__ import annotations

import json
import os

from tests.settings import *  # noqa: F403

DATABASES = {"default": json.loads(os.environ["DJANGOTAILORING_CELERYSITE_DATABASE"])}
ROOT_URLCONF = "tests.celerysite.urls"
LOGGING_CONFIG = "logging.config.dictConfig"
LINE_FORMAT = "%(request_id)s|%(user_id)s|%(task_id)s|%(task_name)s|%(process)d|%(message)s"
FLUSH_INTERVAL = float(os.environ.get("DJANGOTAILORING_CELERYSITE_FLUSH_INTERVAL", "0.2"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "djangotailoring.handlers.RequestContextFilter"}},
    "formatters": {"line": {"format": LINE_FORMAT}},
    "handlers": {
        "events": {
            "class": "djangotailoring.handlers.EventHandler",
            "flush_interval": FLUSH_INTERVAL,
        },
        "lines": {
            "class": "logging.FileHandler",
            "filename": os.environ["DJANGOTAILORING_CELERYSITE_LOG"],
            "filters": ["context"],
            "formatter": "line",
        },
    },
    "loggers": {
        "tests.celerysite": {"handlers": ["events", "lines"], "level": "INFO", "propagate": False}
    },
}
