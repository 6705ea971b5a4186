"""``manage.py forget_user``: delete or anonymise every event that refers to a user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from djangotailoring.tracking.management.arguments import (
    add_batch_size_option,
    add_database_option,
    as_positive_int,
    resolve_user,
)
from djangotailoring.tracking.placement import events_database
from djangotailoring.tracking.privacy import MODES, events_of_user, forget_user
from djangotailoring.tracking.retention import DEFAULT_BATCH_SIZE


class Command(BaseCommand):
    help = (
        "Delete (default) or anonymise the events of a user: their own, those about them "
        "(related object) and failed logins with their username. Run it before deleting the user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="The user's username or primary key.")
        parser.add_argument(
            "--mode",
            choices=MODES,
            default="delete",
            help="delete the events (default) or anonymise them.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report how many events would change."
        )
        add_batch_size_option(parser, DEFAULT_BATCH_SIZE, "Rows changed")
        add_database_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        using = events_database(options["database"])
        if options["mode"] not in MODES:
            raise CommandError(
                f"--mode must be one of {', '.join(MODES)}, not {options['mode']!r}."
            )
        try:
            user = resolve_user(str(options["user"]), using)
        except LookupError as error:
            raise CommandError(str(error)) from error
        verb = "Deleted" if options["mode"] == "delete" else "Anonymised"
        if options["dry_run"]:
            count = events_of_user(user, using=using).count()
            self.stdout.write(
                f"Would have {verb.lower()} {count} events of user {user.pk} "
                "(dry run, nothing changed)."
            )
            return
        batch_size = as_positive_int(options["batch_size"], "--batch-size")
        count = forget_user(user, options["mode"], batch_size=batch_size, using=using)
        self.stdout.write(f"{verb} {count} events of user {user.pk}.")
