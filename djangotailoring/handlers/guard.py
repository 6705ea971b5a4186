"""Which records ``EventHandler`` must never persist, so that it never feeds itself.

Records emitted while :data:`in_writer` is set (in the writer thread, during an immediate
write) are our own queries and warnings; records of our events logger are Events already;
records of our own logger are warnings about the handler.
"""

from __future__ import annotations

import threading

from djangotailoring.limits import EVENTS_LOGGER_NAME, HANDLER_LOGGER_NAME

__all__ = ["REFUSED_LOGGERS", "in_writer", "refused"]

in_writer = threading.local()
REFUSED_LOGGERS = (EVENTS_LOGGER_NAME, HANDLER_LOGGER_NAME)


def refused(name: str) -> bool:
    """Whether records of the logger ``name`` are never persisted."""
    if not name.startswith(REFUSED_LOGGERS):
        return False
    return any(name == logger or name.startswith(logger + ".") for logger in REFUSED_LOGGERS)
