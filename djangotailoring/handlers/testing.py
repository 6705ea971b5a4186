"""Helpers for testing code that logs through ``EventHandler``.

``EventHandler`` writes in a background thread, so a test that logs and then queries
Events must either flush the handlers or make them write at once::

    from djangotailoring.handlers.testing import flush_events, immediate_events

    def test_consent_is_recorded(transactional_db):
        with immediate_events():
            give_consent(user)
        assert Event.objects.named("UserConsented").exists()

The handler writes on its own connection, so use transactional tests
(``TransactionTestCase``, pytest-django's ``transactional_db``): inside a test wrapped in a
transaction the Events are not rolled back, and on SQLite they wait for the test's lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from djangotailoring.handlers import lifecycle

__all__ = ["flush_events", "immediate_events"]


def flush_events(timeout: float | None = None) -> None:
    """Wait until every ``EventHandler`` has committed what it was handed."""
    lifecycle.flush_all(timeout)


@contextmanager
def immediate_events() -> Iterator[None]:
    """Make every ``EventHandler`` write each record at once, in the logging thread."""
    flush_events()
    lifecycle.force_immediate[0] += 1
    try:
        yield
    finally:
        lifecycle.force_immediate[0] -= 1
