"""Which records ``EventHandler`` must never persist, so that it never feeds itself.

Records emitted while :data:`in_writer` is set (in the writer thread, during an immediate
write) are our own queries and warnings; records of our events logger are Events already;
records of our own logger are warnings about the handler.
"""

from __future__ import annotations

import threading

from djangotailoring.limits import EVENTS_LOGGER_NAME, HANDLER_LOGGER_NAME

__all__ = ["REFUSED_LOGGERS", "in_writer", "refused", "refused_logger"]


class _InWriter(threading.local):
    # A class default: reading the flag in a thread that never set it finds this instead of
    # raising (and catching) an AttributeError on every log call.
    active = False


in_writer = _InWriter()
REFUSED_LOGGERS = (EVENTS_LOGGER_NAME, HANDLER_LOGGER_NAME)
# Most programs log under a few dozen names: remember each verdict, within a bound.
_VERDICTS_MAX = 1024
_verdicts: dict[str, bool] = {}


def refused(name: str) -> bool:
    """Whether records of the logger ``name`` are never persisted."""
    if not name.startswith(REFUSED_LOGGERS):
        return False
    return any(name == logger or name.startswith(logger + ".") for logger in REFUSED_LOGGERS)


def refused_logger(name: object) -> bool:
    """:func:`refused` for a record's ``name``, remembered per name (a name that is not a
    string is nobody's)."""
    if type(name) is not str:
        return False
    verdict = _verdicts.get(name)
    if verdict is None:
        verdict = refused(name)
        if len(_verdicts) >= _VERDICTS_MAX:
            _verdicts.clear()
        _verdicts[name] = verdict
    return verdict
