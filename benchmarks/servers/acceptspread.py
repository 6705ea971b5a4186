"""Spread a burst of new connections over the ASGI workers (the benchmark's load only).

wrk opens all its connections at once. asyncio accepts every connection waiting on the
listening socket in one go (up to the server's backlog, 100), so with ``uvicorn --workers N``
or gunicorn's ``UvicornWorker`` (all workers watching one shared socket) the worker that
wakes first takes all of them and the other serves nothing: a run gives about 400 or about
700 requests/s for the same case depending on that race, whatever the logging. Real clients
arrive over time and spread on their own. :func:`apply` makes asyncio accept one connection
per wake-up, so the workers, all woken by the same readiness, take turns. The runner turns
it off with ``--greedy-accept`` (``DJANGOTAILORING_SERVERS_SPREAD=0``).
"""

from __future__ import annotations

import asyncio.selector_events
import os
from typing import Any

_Loop = asyncio.selector_events.BaseSelectorEventLoop


def apply() -> None:
    if os.environ.get("DJANGOTAILORING_SERVERS_SPREAD", "1") == "0":
        return
    greedy = _Loop._accept_connection  # type: ignore[attr-defined]

    def one_at_a_time(
        self: Any,
        protocol_factory: Any,
        sock: Any,
        sslcontext: Any = None,
        server: Any = None,
        backlog: int = 100,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        # The listening socket keeps its backlog; only this wake-up's share is one.
        greedy(self, protocol_factory, sock, sslcontext, server, 1, *args, **kwargs)

    _Loop._accept_connection = one_at_a_time  # type: ignore[attr-defined]
