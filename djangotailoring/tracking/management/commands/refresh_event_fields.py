"""``manage.py refresh_event_fields``: recompute denormalized event fields from the events."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser

from djangotailoring.tracking.denormalizing import Follower, followers
from djangotailoring.tracking.management.arguments import add_batch_size_option, as_positive_int
from djangotailoring.tracking.management.progress import Progress
from djangotailoring.tracking.refreshing import DEFAULT_BATCH_SIZE, refresh_model


def _by_model(model_label: str | None) -> dict[type[Any], list[Follower]]:
    found: dict[type[Any], list[Follower]] = {}
    for fields in followers().values():
        for follower in fields:
            found.setdefault(follower.model, []).append(follower)
    if model_label is None:
        return found
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError) as error:
        raise CommandError(
            f"--model {model_label!r} is not an installed model (app_label.ModelName): {error}"
        ) from error
    if model not in found:
        raise CommandError(f"{model._meta.label} has no denormalized event fields.")
    return {model: found[model]}


class Command(BaseCommand):
    help = (
        "Recompute every denormalized event field (or those of one model) from the events "
        "table, in batches: after an import, a backfill, or adding a field to a model with history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model", metavar="APP_LABEL.MODEL", help="Only the fields of this model."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report how many rows would change."
        )
        add_batch_size_option(parser, DEFAULT_BATCH_SIZE, "Rows recomputed")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = as_positive_int(options["batch_size"], "--batch-size")
        dry_run: bool = options["dry_run"]
        models = _by_model(options["model"])
        progress = None
        if self.stderr.isatty():
            total = sum(model._base_manager.count() for model in models)
            progress = Progress(self.stderr, total, unit="rows")
        done = 0

        def step(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress.show(done)

        results = []
        for model, fields in sorted(models.items(), key=lambda item: item[0]._meta.label):
            results += refresh_model(
                model, fields, batch_size=batch_size, dry_run=dry_run, progress=step
            )
        if progress is not None:
            progress.finish(done)
        verb = "would change" if dry_run else "changed"
        for result in results:
            self.stdout.write(f"{result.label}: {result.changed} of {result.rows} rows {verb}.")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
