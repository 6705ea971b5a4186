"""A one-line progress bar for commands, redrawn in place on a terminal."""

from __future__ import annotations

from django.core.management.base import OutputWrapper

__all__ = ["Progress"]


class Progress:
    """A one-line progress bar of ``done/total unit``, redrawn in place on ``stream``."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper, total: int, unit: str = "events") -> None:
        self.stream = stream
        self.total = total
        self.unit = unit

    def show(self, done: int) -> None:
        fraction = done / self.total if self.total else 1.0
        filled = int(self.WIDTH * fraction)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        # style_func=str: the bar is not an error, whatever colour stderr has.
        self.stream.write(f"\r[{bar}] {done}/{self.total} {self.unit}", style_func=str, ending="")
        self.stream.flush()

    def finish(self, done: int) -> None:
        self.show(done)
        self.stream.write("", style_func=str)
