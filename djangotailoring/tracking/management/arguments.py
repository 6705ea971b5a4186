"""Argument types shared by the event commands: ages (``90d``), dates and users.

The parsers raise :class:`argparse.ArgumentTypeError`, which Django turns into a
``CommandError`` (``call_command``) or a usage message with exit status 2 (``manage.py``).
"""

from __future__ import annotations

import argparse
import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

__all__ = [
    "AGE_UNITS",
    "Moment",
    "as_age",
    "as_moment",
    "as_names",
    "as_non_negative_int",
    "as_positive_int",
    "non_negative_int",
    "parse_age",
    "parse_moment",
    "positive_int",
    "resolve_user",
]

AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_AGE = re.compile(r"^(\d{1,9})([smhdw])$")


def parse_age(text: str) -> datetime.timedelta:
    """Parse an age such as ``90d``: a whole number and one unit of ``s m h d w``."""
    match = _AGE.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an age; use a whole number and a unit, "
            "e.g. 90d (units: s seconds, m minutes, h hours, d days, w weeks)."
        )
    return datetime.timedelta(**{AGE_UNITS[match.group(2)]: int(match.group(1))})


def _whole_number(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least {least}.")
    return value


def positive_int(text: str) -> int:
    """Parse a whole number of at least 1."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """Parse a whole number of at least 0."""
    return _whole_number(text, 0)


class Moment:
    """A parsed ``--before``/``--since``/``--until`` value: an instant, or a whole day."""

    def __init__(self, start: datetime.datetime, is_date: bool) -> None:
        self.start = start
        self.is_date = is_date

    @property
    def next_day(self) -> datetime.datetime:
        """The midnight after ``start`` (for a date: the start of the following day)."""
        return _localize(self.start.replace(tzinfo=None) + datetime.timedelta(days=1))

    def __repr__(self) -> str:
        return f"Moment({self.start.isoformat()}, is_date={self.is_date})"


def _localize(value: datetime.datetime) -> datetime.datetime:
    if settings.USE_TZ:
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    return timezone.make_naive(value) if timezone.is_aware(value) else value


def parse_moment(text: str) -> Moment:
    """Parse an ISO 8601 date (``2024-05-01``) or date-time (``2024-05-01T12:00:00+02:00``).

    Values without an offset are in the current time zone (``TIME_ZONE``).
    """
    value = text.strip()
    try:
        # The date first: parse_datetime() also accepts a bare date, as its midnight.
        day = parse_date(value)
        moment = None if day is not None else parse_datetime(value)
    except ValueError:
        day = moment = None
    if day is not None:
        return Moment(_localize(datetime.datetime.combine(day, datetime.time())), is_date=True)
    if moment is not None:
        return Moment(_localize(moment), is_date=False)
    raise argparse.ArgumentTypeError(
        f"{text!r} is not an ISO 8601 date or date-time, e.g. 2024-05-01 or 2024-05-01T12:00:00Z."
    )


def add_batch_size_option(parser: Any, default: int, what: str) -> None:
    """``--batch-size N``: ``what`` (say, "Rows deleted") per transaction; read it with
    :func:`as_positive_int`."""
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=default,
        help=f"{what} per transaction (default {default}).",
    )


def add_database_option(parser: Any, what: str = "The database of the events") -> None:
    """``--database ALIAS``, by default where Events are (``TRACKING_DATABASE`` or the
    router's choice): read with :func:`~djangotailoring.tracking.placement.events_database`."""
    parser.add_argument(
        "--database",
        default=None,
        help=f"{what} (default: where Events are: TRACKING_DATABASE or the router's choice).",
    )


def resolve_user(value: str, using: str) -> Any:
    """Return the user whose username (``USERNAME_FIELD``) or primary key is ``value``.

    ``using`` is the events' database: the user is looked up where users are (the same
    database unless ``TRACKING_DATABASE`` puts events apart). Raises ``LookupError`` when
    there is none.
    """
    from djangotailoring.tracking.placement import users_database

    model = get_user_model()
    manager = model._default_manager.db_manager(users_database(using))
    try:
        return manager.get(**{model.USERNAME_FIELD: value})
    except model.DoesNotExist:
        pass
    try:
        return manager.get(pk=model._meta.pk.to_python(value))
    except (model.DoesNotExist, ValidationError, ValueError, TypeError):
        # ValidationError: not a valid key at all (e.g. a name given for an integer key).
        pass
    raise LookupError(f"No user with username or id {value!r}.")


# ``call_command("prune_events", older_than="90d")`` hands keyword values to ``handle()``
# unparsed (argparse types apply only to command-line strings), so commands pass every
# option through these.


def _parsed(value: str, parse: Any, option: str) -> Any:
    try:
        return parse(value)
    except argparse.ArgumentTypeError as error:
        raise CommandError(f"{option}: {error}") from error


def as_age(value: object, option: str = "--older-than") -> datetime.timedelta | None:
    """An age from a parsed option, a string like ``90d`` or a ``timedelta``."""
    if value is None or isinstance(value, datetime.timedelta):
        return value
    return _parsed(str(value), parse_age, option)  # type: ignore[no-any-return]


def as_moment(value: object, option: str) -> Moment | None:
    """A moment from a parsed option, an ISO string, a ``datetime`` or a ``date``."""
    if value is None or isinstance(value, Moment):
        return value
    if isinstance(value, datetime.datetime):
        return Moment(_localize(value), is_date=False)
    if isinstance(value, datetime.date):
        return Moment(_localize(datetime.datetime.combine(value, datetime.time())), is_date=True)
    return _parsed(str(value), parse_moment, option)  # type: ignore[no-any-return]


def _as_whole_number(value: object, option: str, least: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= least:
        return value
    return _parsed(str(value), lambda text: _whole_number(text, least), option)  # type: ignore[no-any-return]


def as_positive_int(value: object, option: str) -> int:
    """A whole number of at least 1 from a parsed option or a keyword value."""
    return _as_whole_number(value, option, 1)


def as_non_negative_int(value: object, option: str) -> int:
    """A whole number of at least 0 from a parsed option or a keyword value."""
    return _as_whole_number(value, option, 0)


def as_names(value: object) -> list[str]:
    """Event names from a repeatable ``--name``, or a single name given as a keyword."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(name) for name in value]  # type: ignore[attr-defined]
