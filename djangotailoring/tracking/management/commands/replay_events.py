"""``manage.py replay_events``: persist the Events of spill files and journals, exactly once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from djangotailoring.conf import conf
from djangotailoring.handlers.delivery import (
    ReplayResult,
    Unavailable,
    count_spilled,
    default_spill_path_for,
    has_spilled,
    journal_dirs,
    replay_journals,
    replay_spill_file,
    spill_paths,
)
from djangotailoring.handlers.journal import default_journal_dir


class Command(BaseCommand):
    help = (
        "Persist the events that EventHandler spilled to a file while the database was "
        "unreachable, and those in the journals of processes that ended before writing "
        "them. Safe to run twice: batches already in the database are skipped."
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
            "--journal-dir",
            action="append",
            default=None,
            metavar="DIR",
            help="Journal folder whose dead processes' journals to replay (default: those of "
            "the configured EventHandlers, else TRACKING_JOURNAL_DIR or the temp default). "
            "May be given more than once.",
        )
        parser.add_argument(
            "--no-journals",
            action="store_true",
            help="Replay spill files only.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only report how many events each file holds; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        paths: list[str] = options["paths"] or spill_paths()
        if not paths:
            paths = [default_spill_path_for(using)]
        total = ReplayResult()
        try:
            for path in paths:
                if not has_spilled(path):
                    self.stdout.write(f"{path}: nothing to replay")
                    continue
                if options["dry_run"]:
                    self.stdout.write(f"{path}: {count_spilled(path)} event(s) to replay")
                    continue
                result = replay_spill_file(path, using)
                self.stdout.write(
                    f"{path}: {result.replayed} replayed, {result.skipped} already in the "
                    f"database, {result.rejected} refused"
                )
                total.add(result)
            if not options["no_journals"]:
                self._replay_journals(options, using, total)
        except Unavailable as error:
            raise CommandError(
                f"The database is unreachable ({error}); nothing is lost, run this again later."
            ) from error
        if total.rejected:
            raise CommandError(
                f"{total.rejected} event(s) were refused by the database and stay in the "
                "spill file."
            )

    def _replay_journals(
        self, options: dict[str, Any], using: str | None, total: ReplayResult
    ) -> None:
        dirs: list[str] = options["journal_dir"] or journal_dirs()
        if not dirs:
            dirs = [conf.JOURNAL_DIR or default_journal_dir()]
        for journal_dir in dirs:
            if options["dry_run"]:
                self.stdout.write(
                    f"{journal_dir}: journals are replayed, not counted, by a dry run"
                )
                continue
            result = replay_journals(journal_dir, using)
            self.stdout.write(
                f"{journal_dir}: {len(result.files)} journal(s) of ended processes, "
                f"{result.replayed} replayed, {result.skipped} already in the database, "
                f"{result.rejected} refused, {result.torn} unreadable line(s) skipped"
            )
            total.add(result)
