"""Interleaved rounds: every case runs once per round, in an order that rotates each round."""

from __future__ import annotations

import gc
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class VerificationError(RuntimeError):
    """A case did less work than it claims (fewer rows than events sent)."""


@dataclass
class Timing:
    """Seconds spent by the caller (until the last call returned) and until all is stored."""

    caller: float
    total: float


class WriteCase(Protocol):
    key: str
    label: str

    def reset(self) -> None: ...

    def run(self, n: int) -> Timing: ...

    def stored(self) -> int | None: ...

    def close(self) -> None: ...


@dataclass
class Samples:
    """Per-event microseconds of every round of one case."""

    caller_us: list[float] = field(default_factory=list)
    total_us: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def median_caller(self) -> float | None:
        return statistics.median(self.caller_us) if self.caller_us else None

    def median_total(self) -> float | None:
        return statistics.median(self.total_us) if self.total_us else None


def rotated(cases: Sequence[WriteCase], shift: int) -> list[WriteCase]:
    """Return ``cases`` rotated left by ``shift`` so no case always runs first or last."""
    shift %= len(cases)
    return [*cases[shift:], *cases[:shift]]


def measure_once(case: WriteCase, n: int) -> Timing:
    """Run ``case`` for ``n`` events on empty tables and check that ``n`` rows were stored."""
    case.reset()
    gc.collect()
    timing = case.run(n)
    stored = case.stored()
    if stored is not None and stored != n:
        raise VerificationError(f"{case.label}: {n} events sent, {stored} rows stored")
    return timing


def run_rounds(
    cases: Sequence[WriteCase],
    n: int,
    rounds: int,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> dict[str, Samples]:
    """Run every case ``rounds`` times, interleaved, and return the per-event samples.

    A round in which a case stores fewer rows than it was given is recorded as a failure of
    that case, not as a timing; the other cases go on.
    """
    samples = {case.key: Samples() for case in cases}
    for number in range(rounds):
        for case in rotated(cases, number):
            try:
                timing = measure_once(case, n)
            except VerificationError as error:
                samples[case.key].failures.append(str(error))
                progress(f"  round {number + 1}/{rounds} FAILED {error}")
                continue
            samples[case.key].caller_us.append(timing.caller / n * 1e6)
            samples[case.key].total_us.append(timing.total / n * 1e6)
            progress(
                f"  round {number + 1}/{rounds} {case.label:<34} "
                f"{timing.caller / n * 1e6:9.1f} / {timing.total / n * 1e6:9.1f} us/event"
            )
    return samples
