"""WSGI entry point of the benchmark project (gunicorn's sync and gthread workers)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.servers.settings")
application = get_wsgi_application()
