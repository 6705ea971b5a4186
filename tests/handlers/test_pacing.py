"""The writer's pacer: it steps aside while the application is live, never otherwise."""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from djangotailoring.handlers import pacing
from djangotailoring.handlers.pacing import Pacer


class FakeTime:
    """A clock the test moves; ``sleep`` records the pauses and moves the clock."""

    def __init__(self) -> None:
        self.now = 100.0
        self.pauses: list[float] = []

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def work(pacer: Pacer, clock: FakeTime, slices: int, seconds: float = 0.001) -> None:
    """``slices`` steps of ``seconds`` of the writer's work, each ending in a tick."""
    for _ in range(slices):
        clock.now += seconds
        pacer.tick()


def drained_after_an_arrival() -> tuple[Pacer, list[int]]:
    """A pacer whose drain starts just after a record arrived (1 ms slices, 20 ms window),
    and the count of arrivals it looks at."""
    arrivals = [0]
    pacer = Pacer(lambda: arrivals[0], slice_seconds=0.001, live_seconds=0.02)
    arrivals[0] = 1
    pacer.restart()
    return pacer, arrivals


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(pacing, "time", fake)
    return fake


def test_no_pause_within_a_slice(clock: FakeTime) -> None:
    pacer, _ = drained_after_an_arrival()
    work(pacer, clock, 10, seconds=0.00005)
    assert clock.pauses == []


def test_pauses_after_each_slice_while_records_arrived_lately(clock: FakeTime) -> None:
    # The application thread waits for the GIL, so nothing arrives during the slices
    # themselves: the last arrival, just before the drain began, is what counts.
    pacer, _ = drained_after_an_arrival()
    work(pacer, clock, 5)
    assert clock.pauses == [pacing.PAUSE_SECONDS] * 5


def test_stops_pausing_once_nothing_arrived_for_the_live_window(clock: FakeTime) -> None:
    pacer, arrivals = drained_after_an_arrival()
    work(pacer, clock, 40)
    paused = len(clock.pauses)
    # Within the 20 ms after the last arrival (pauses move the clock too), then none.
    assert 15 <= paused <= 20
    assert not pacer.live
    arrivals[0] = 2
    work(pacer, clock, 1)
    assert len(clock.pauses) == paused + 1
    assert pacer.live


def test_a_writer_that_never_saw_a_record_arrive_never_pauses(clock: FakeTime) -> None:
    # A flush at exit or a catch-up after a burst that ended long ago.
    pacer = Pacer(lambda: 7, slice_seconds=0.001, live_seconds=0.02)
    pacer.restart()
    work(pacer, clock, 50)
    assert clock.pauses == []


def _iteration_times(pace: bool) -> list[float]:
    """How long each step of a thread that blocks briefly and then logs takes, while
    another thread computes (calling a pacer's tick, or not) beside it."""
    arrivals = [0]
    pacer = Pacer(lambda: arrivals[0])
    stop = threading.Event()

    def compute() -> None:
        pacer.restart()
        while not stop.is_set():
            sum(range(200))
            if pace:
                pacer.tick()

    worker = threading.Thread(target=compute)
    worker.start()
    times = []
    try:
        deadline = time.perf_counter() + 0.4
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            time.sleep(0.0005)  # the request's I/O: the GIL is free meanwhile
            arrivals[0] += 1  # the request logs
            times.append(time.perf_counter() - start)
    finally:
        stop.set()
        worker.join()
    return times


def test_a_thread_that_waits_for_the_gil_gets_it_between_slices() -> None:
    """Like one request at a time on a sync worker: without pacing every step waits for
    the interpreter's switch interval, with it for a slice at most."""
    unpaced = statistics.median(_iteration_times(pace=False))
    paced = statistics.median(_iteration_times(pace=True))
    assert paced < unpaced / 2, (paced, unpaced)
