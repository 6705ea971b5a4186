"""Process events every live ``EventHandler`` must react to: exit, ``SIGTERM``, ``fork()``.

- At interpreter exit every handler is closed (flushed within its ``shutdown_timeout``).
- On ``SIGTERM`` every handler is flushed within its ``shutdown_timeout`` and what could not
  be written is spilled; then the signal goes on to the handler that was installed before
  (or, if that was the default action, the process ends by the signal as it would have).
  The hook is installed from the main thread only (Python allows nothing else), when the
  first handler is created or starts writing there. An application that installs its own
  ``SIGTERM`` handler *after* that replaces the hook: its handler should end the process
  with ``sys.exit()`` (exit hooks flush) or call :func:`flush_all` first.
- In a child after ``fork()`` every handler starts afresh (new queue, writer, connection);
  what the parent had queued stays the parent's.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import weakref
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from djangotailoring.handlers.eventhandler import EventHandler

__all__ = ["flush_all", "force_immediate", "install_sigterm", "open_handlers", "register"]

_handlers: weakref.WeakSet[EventHandler] = weakref.WeakSet()
_registered = False
_sigterm_installed = False
_previous_sigterm: Any = None
# Counts the active ``immediate_events()`` blocks of djangotailoring.handlers.testing.
force_immediate = [0]


def register(handler: EventHandler) -> None:
    """Look after ``handler`` at exit and after ``fork()``."""
    global _registered
    _handlers.add(handler)
    if not _registered:
        _registered = True
        atexit.register(_at_exit)
        os.register_at_fork(after_in_child=_after_fork_in_child)


def live_handlers() -> list[EventHandler]:
    """Every ``EventHandler`` that exists in this process."""
    return list(_handlers)


def open_handlers() -> list[EventHandler]:
    """Every ``EventHandler`` of this process that is not closed."""
    return [handler for handler in _handlers if not handler._closed]


def flush_all(timeout: float | None = None) -> None:
    """Flush every ``EventHandler`` of this process."""
    for handler in live_handlers():
        handler.flush(timeout)


def install_sigterm() -> None:
    """Install the ``SIGTERM`` hook, if this is the main thread and it is not installed."""
    global _sigterm_installed, _previous_sigterm
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError, AttributeError):
        return
    _previous_sigterm = previous
    _sigterm_installed = True


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    for handler in live_handlers():
        handler.shutdown_flush()
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_IGN:
        return
    else:
        # The default action: end the process by the same signal, as if we were not here.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _at_exit() -> None:
    for handler in live_handlers():
        handler.close()


def _after_fork_in_child() -> None:
    for handler in live_handlers():
        handler.after_fork_in_child()
