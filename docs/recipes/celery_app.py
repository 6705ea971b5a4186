"""mysite/celery.py: the Celery app of a project whose workers log and record events."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

app = Celery("mysite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def keep_django_logging(**kwargs):
    """Leave the worker's logging to Django's LOGGING (Celery would install its own)."""
