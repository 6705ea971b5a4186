"""Fault injection against the real PostgreSQL server through a TCP proxy on 127.0.0.1.

The CI run keeps the outage short. The long run reported in the docs is the same test with
``DJANGOTAILORING_OUTAGE_SECONDS=30 DJANGOTAILORING_OUTAGE_RECORDS=100000``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from djangotailoring.tracking.models import Event
from tests.handlers.conftest import HandlerFactory

log = logging.getLogger("app")

OUTAGE_SECONDS = float(os.environ.get("DJANGOTAILORING_OUTAGE_SECONDS", "3"))
OUTAGE_RECORDS = int(os.environ.get("DJANGOTAILORING_OUTAGE_RECORDS", "20000"))


class TcpProxy:
    """Relays 127.0.0.1:<port> to a server; ``cut()`` refuses and drops, ``restore()`` relays.

    With ``trap_commit`` set, the first connection that sends ``COMMIT`` is dropped right
    after the server received it: the client cannot know whether it committed.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.trap_commit = False
        self.trapped = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the accepting thread; close() alone would not stop it.
            self._close(listener)
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            self._close(sock)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            muted = threading.Event()
            for source, target, outgoing in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pump, args=(source, target, outgoing, muted), daemon=True
                ).start()

    def _pump(
        self, source: socket.socket, target: socket.socket, outgoing: bool, muted: threading.Event
    ) -> None:
        while True:
            try:
                data = source.recv(65536)
                if not data:
                    break
                trapped = outgoing and self.trap_commit and b"COMMIT\x00" in data
                if trapped:
                    self.trap_commit = False
                    self.trapped += 1
                    muted.set()
                if not (muted.is_set() and not outgoing):
                    target.sendall(data)
            except OSError:
                break
            if trapped:
                time.sleep(0.2)  # the server commits; its answer never arrives
                break
        self._close(source)
        self._close(target)


@pytest.fixture
def proxy(transactional_db: None) -> Iterator[TcpProxy]:
    """A TcpProxy to the test database server."""
    default = connections.settings["default"]
    proxy = TcpProxy((default["HOST"], int(default["PORT"])))
    proxy.restore()
    yield proxy
    proxy.cut()


def through(proxy: TcpProxy) -> dict[str, Any]:
    """EventHandler options that make it connect through ``proxy``."""
    return {"connection_settings": {"HOST": "127.0.0.1", "PORT": str(proxy.port)}}


def _log_paced(total: int, seconds: float, start_index: int) -> list[float]:
    """Log ``total`` records spread over ``seconds``; return the cost of each call."""
    costs = []
    ticks = max(1, int(seconds * 20))
    per_tick = max(1, total // ticks)
    index = start_index
    started = time.monotonic()
    for tick in range(ticks):
        for _ in range(per_tick if tick < ticks - 1 else total - per_tick * (ticks - 1)):
            before = time.perf_counter()
            log.info("Outage", extra={"note": f"r{index}"})
            costs.append(time.perf_counter() - before)
            index += 1
        pause = started + (tick + 1) * seconds / ticks - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    return costs


@pytest.mark.postgres
@pytest.mark.parametrize("journal", [False, True], ids=["memory", "journal"])
def test_outage_loses_nothing_and_duplicates_nothing(
    event_handler: HandlerFactory, proxy: TcpProxy, journal: bool
) -> None:
    buffer_size, queue_size = 5_000, 20_000
    handler = event_handler(
        **through(proxy),
        journal=journal,
        buffer_size=buffer_size,
        queue_size=queue_size,
        batch_size=1000,
        connect_timeout=1,
    )
    _log_paced(1000, 0.5, 0)
    handler.flush()
    assert Event.objects.count() == 1000

    proxy.cut()
    peak = {"held": 0, "queued": 0, "in_memory": 0}
    watching = True

    def watch() -> None:
        while watching:
            writer = handler._writer
            peak["held"] = max(peak["held"], writer.held if writer else 0)
            peak["in_memory"] = max(peak["in_memory"], writer._held if writer else 0)
            peak["queued"] = max(peak["queued"], handler.stats.queued)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    costs = _log_paced(OUTAGE_RECORDS, OUTAGE_SECONDS, 1000)
    outage = time.monotonic() - started
    watching = False
    watcher.join()
    proxy.restore()

    total = 1000 + OUTAGE_RECORDS
    deadline = time.monotonic() + 60 + OUTAGE_RECORDS / 1000
    handler.flush()
    while Event.objects.count() < total and time.monotonic() < deadline:
        time.sleep(0.2)
    handler.flush()
    stats = handler.stats
    count = Event.objects.count()
    distinct = Event.objects.values("note").distinct().count()
    costs.sort()
    report = (
        f"outage {outage:.1f}s, {OUTAGE_RECORDS} records logged during it; "
        f"caller cost mean {sum(costs) / len(costs) * 1e6:.1f}us "
        f"p99 {costs[int(len(costs) * 0.99)] * 1e6:.1f}us max {costs[-1] * 1e3:.1f}ms; "
        f"peak held {peak['held']} queued {peak['queued']}; {stats}"
    )
    print(report)
    assert count == total, report
    assert distinct == total, report
    assert stats.dropped == 0
    assert costs[-1] < 1.0, report
    if journal:
        # The backlog waits in the journal: memory holds the one batch being retried.
        assert stats.spilled == 0
        assert peak["in_memory"] <= 1000, report
        assert peak["queued"] >= OUTAGE_RECORDS // 2, report
        return
    assert stats.spilled > 0
    assert stats.replayed == stats.spilled
    assert peak["held"] <= buffer_size + 1000
    assert peak["queued"] <= queue_size + buffer_size


@pytest.mark.postgres
def test_commit_with_unknown_outcome_is_not_duplicated(
    event_handler: HandlerFactory, proxy: TcpProxy
) -> None:
    handler = event_handler(**through(proxy), connect_timeout=1)
    log.info("Warmup")
    handler.flush()
    proxy.trap_commit = True
    for i in range(50):
        log.info("Unknown", extra={"note": f"u{i}"})
    handler.flush()
    deadline = time.monotonic() + 10
    while handler.stats.persisted < 51 and time.monotonic() < deadline:
        handler.flush()
        time.sleep(0.05)
    assert proxy.trapped == 1
    assert handler.stats.retried == 50
    assert Event.objects.filter(name="Unknown").count() == 50
