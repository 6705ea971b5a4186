"""ASGI entry point of the benchmark project (uvicorn, and gunicorn's UvicornWorker)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from benchmarks.servers import acceptspread, nodelay

nodelay.apply()
acceptspread.apply()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.servers.settings")
application = get_asgi_application()
