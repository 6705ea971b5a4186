"""A Celery app and a Django site that enqueues its tasks, for the real-worker tests.

The tests start ``celery -A tests.celerysite.app worker`` with
``DJANGO_SETTINGS_MODULE=tests.celerysite.settings``: the worker uses the test run's own
database (passed in the environment) and persists its records with ``EventHandler``.
"""
