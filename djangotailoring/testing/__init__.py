"""Helpers for testing code that records events: the one entrance for them.

``capture_events()`` collects the Events a block creates; ``flush_events()`` and
``immediate_events()`` (as in :mod:`djangotailoring.handlers.testing`; this
``flush_events()`` also adds what the handlers wrote to the open ``capture_events()``
lists) deal with ``EventHandler``'s background writer. With pytest, the fixture
``captured_events`` (a plugin this package registers) is ``capture_events()`` around the
test. Importing this package does nothing: pytest loads the plugin before Django is
configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from djangotailoring.lazyexports import lazy_exports

if TYPE_CHECKING:
    from djangotailoring.handlers.testing import immediate_events
    from djangotailoring.testing.capturing import capture_events, flush_events

__all__ = ["capture_events", "flush_events", "immediate_events"]

_LAZY = {
    "capture_events": "djangotailoring.testing.capturing",
    "flush_events": "djangotailoring.testing.capturing",
    "immediate_events": "djangotailoring.handlers.testing",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
