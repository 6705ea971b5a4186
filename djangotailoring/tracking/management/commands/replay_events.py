"""``manage.py replay_events``: persist the Events kept in spill files, exactly once."""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from djangotailoring.handlers.eventstore import EventStore, Unavailable
from djangotailoring.handlers.replaying import ReplayResult, replay
from djangotailoring.handlers.spilling import SpillFile, default_spill_path, read_batches


def configured_spill_paths() -> list[str]:
    """The spill files of the ``EventHandler`` instances ``LOGGING`` configured."""
    from djangotailoring.handlers.eventhandler import EventHandler
    from djangotailoring.handlers.lifecycle import live_handlers

    paths = [handler.spill_path for handler in live_handlers()]
    loggers = [logging.root, *logging.root.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if isinstance(handler, EventHandler):
                paths.append(handler.spill_path)
    return sorted(set(paths))


def count_events(spill: SpillFile) -> int:
    """How many events ``spill`` (and its unfinished replays) holds."""
    paths = [spill.path, *spill.leftovers()]
    return sum(
        len(events) for path in paths if os.path.exists(path) for _, events in read_batches(path)
    )


class Command(BaseCommand):
    help = (
        "Persist the events that EventHandler spilled to a file while the database was "
        "unreachable. Safe to run twice: batches already in the database are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="Spill files to replay (default: those of the configured EventHandlers, "
            "else the default spill file of --database).",
        )
        parser.add_argument(
            "--database",
            default=None,
            help="The database to write to (default: where Events are written).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only report how many events each file holds; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = EventStore(options["database"])
        paths: list[str] = options["paths"] or configured_spill_paths()
        if not paths:
            paths = [default_spill_path(store.alias)]
        total = ReplayResult()
        try:
            for path in paths:
                spill = SpillFile(path)
                if not spill.exists():
                    self.stdout.write(f"{path}: nothing to replay")
                    continue
                if options["dry_run"]:
                    self.stdout.write(f"{path}: {count_events(spill)} event(s) to replay")
                    continue
                result = replay(spill, store)
                self.stdout.write(
                    f"{path}: {result.replayed} replayed, {result.skipped} already in the "
                    f"database, {result.rejected} refused"
                )
                total.replayed += result.replayed
                total.skipped += result.skipped
                total.rejected += result.rejected
        except Unavailable as error:
            raise CommandError(
                f"The database is unreachable ({error}); nothing is lost, run this again later."
            ) from error
        finally:
            store.close()
        if total.rejected:
            raise CommandError(
                f"{total.rejected} event(s) were refused by the database and stay in the "
                "spill file."
            )
