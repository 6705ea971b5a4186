"""Work around uvicorn's pre-bound sockets leaving Nagle's algorithm on (uvicorn issue #3149).

``uvicorn --workers N`` and gunicorn's ``UvicornWorker`` hand asyncio a listening socket
whose ``proto`` is 0; accepted connections inherit it, and asyncio only sets
``TCP_NODELAY`` on sockets that report ``IPPROTO_TCP``. Every keep-alive response then
waits for the client's delayed ACK (about 40 ms on Linux), which would hide every other
cost this benchmark measures. :func:`apply` makes asyncio set ``TCP_NODELAY`` on every
IPv4/IPv6 stream socket, as it does for the sockets it creates itself. The runner turns it
off with ``--keep-nagle`` (``DJANGOTAILORING_SERVERS_NODELAY=0``).
"""

from __future__ import annotations

import asyncio.base_events
import os
import socket


def _set_nodelay(sock: socket.socket) -> None:
    if sock.family in {socket.AF_INET, socket.AF_INET6} and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def apply() -> None:
    if os.environ.get("DJANGOTAILORING_SERVERS_NODELAY", "1") != "0":
        asyncio.base_events._set_nodelay = _set_nodelay  # type: ignore[attr-defined]
