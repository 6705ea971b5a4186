"""Write batches of prepared Events on a database connection of their own, exactly once.

The connection is never the application's thread-local one: a batch is committed whatever
the caller's transaction does, and a failing insert cannot break the caller's transaction.
A batch is one transaction holding a :class:`~djangotailoring.tracking.models.WrittenBatch`
marker and the rows (``COPY`` on PostgreSQL with psycopg 3, multi-row ``INSERT``
elsewhere). A batch whose marker is already there was committed before: retrying a batch
whose commit had an unknown outcome, or replaying a spill file twice, never duplicates.

The raw DB-API cursor is used on purpose: it is the fastest path, and it sends no query to
``django.db.backends`` logging, so a handler on the root logger cannot feed itself.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
import logging
import operator
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DataError, IntegrityError, connections
from django.db.utils import load_backend

from djangotailoring.handlers.pacing import no_pacing
from djangotailoring.limits import HANDLER_LOGGER_NAME

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["EventStore", "Rejected", "Unavailable", "default_alias"]

# EventHandler refuses this logger's records: a warning here never feeds the handler.
logger = logging.getLogger(HANDLER_LOGGER_NAME)

MARKER_RETENTION = datetime.timedelta(days=7)
# COPY costs more round trips than one INSERT: it pays off for batches, not single rows.
COPY_FROM = 20
# Rows per piece of a COPY: the server parses one while the next is built.
COPY_CHUNK = 200
PRUNE_EVERY = datetime.timedelta(hours=1)
# Connections of abandoned stores (in a forked child) are kept here and never closed: closing
# would end the session the parent process still uses.
_ABANDONED: list[Any] = []


class Unavailable(Exception):
    """The database could not be reached; the batch was not committed by this attempt."""


class Rejected(Exception):
    """The database refused the rows themselves (a constraint, a value out of range)."""


def default_alias() -> str:
    """The database alias the router chooses for writing Events (``"default"`` before the
    app registry is ready)."""
    from django.apps import apps
    from django.db import router

    if not apps.ready:
        return "default"
    from djangotailoring.tracking.models import Event

    return router.db_for_write(Event)


def _timeouts(vendor: str, connect_timeout: float) -> dict[str, Any]:
    seconds = max(1, round(connect_timeout))
    if vendor == "sqlite":
        # Waits for other writers of the same file instead of failing with "database is locked".
        return {"timeout": connect_timeout}
    if vendor == "postgresql":
        # A dead peer is noticed within seconds, not after the kernel's TCP timeout.
        return {
            "connect_timeout": seconds,
            "keepalives": 1,
            "keepalives_idle": seconds,
            "keepalives_interval": 1,
            "keepalives_count": 3,
            "tcp_user_timeout": seconds * 3000,
        }
    if vendor == "mysql":
        return {
            "connect_timeout": seconds,
            "read_timeout": seconds * 3,
            "write_timeout": seconds * 3,
        }
    return {}


def _abandon(wrapper: BaseDatabaseWrapper) -> None:
    raw = wrapper.connection
    if raw is None:
        return
    # A driver's own error type may come out of fileno(); abandoning must not fail.
    with contextlib.suppress(Exception):
        fd = raw.fileno()
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            # Whatever the driver sends on its way out now goes nowhere.
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
    _ABANDONED.append(wrapper)


class EventStore:
    """A private connection to ``alias`` that writes batches of prepared Events."""

    def __init__(
        self,
        alias: str | None = None,
        *,
        connect_timeout: float = 5.0,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self._alias = alias
        self.connect_timeout = connect_timeout
        self.overrides = dict(overrides or {})
        self._wrapper: BaseDatabaseWrapper | None = None
        # Connections to the databases of users and content types, when TRACKING_DATABASE
        # puts events on another one (autocommit; lookups and the fields that follow).
        self._beside: dict[str, BaseDatabaseWrapper] = {}
        self._content_types: dict[tuple[str, str], tuple[int | None, bool]] = {}
        self._pruned_at: datetime.datetime | None = None
        #: Called once per row of work: the writer thread sets it to step aside now and
        #: then while the application is busy (see ``djangotailoring.handlers.pacing``).
        self.pace: Callable[[], None] = no_pacing

    # Connection -------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        """The database alias written to (the router's choice unless one was given)."""
        if self._alias is None:
            from django.apps import apps

            if not apps.ready:
                return default_alias()
            self._alias = default_alias()
        return self._alias

    def _new_wrapper(self, alias: str | None = None) -> BaseDatabaseWrapper:
        # Read the settings each time: the test runner renames databases after start-up.
        alias = alias or self.alias
        config = copy.deepcopy(connections.settings[alias])
        overrides = copy.deepcopy(self.overrides) if alias == self.alias else {}
        options = {**config.get("OPTIONS", {}), **overrides.pop("OPTIONS", {})}
        config.update(overrides, OPTIONS=options)
        options.pop("pool", None)
        wrapper: BaseDatabaseWrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias)
        for key, value in _timeouts(wrapper.vendor, self.connect_timeout).items():
            options.setdefault(key, value)
        return wrapper

    @property
    def wrapper(self) -> BaseDatabaseWrapper:
        """The Django wrapper of the private connection (connected on first use)."""
        if self._wrapper is None:
            self._wrapper = self._new_wrapper()
            self._wrapper.inc_thread_sharing()
        if self._wrapper.connection is None:
            self._wrapper.ensure_connection()
            if self._wrapper.vendor != "sqlite":
                self._wrapper.set_autocommit(False)
        return self._wrapper

    def beside(self, wrapper: BaseDatabaseWrapper, alias: str) -> BaseDatabaseWrapper:
        """The connection to ``alias`` (users' or content types' database): ``wrapper`` itself
        when it is the events' one, else a private autocommit connection of its own."""
        if alias == wrapper.alias:
            return wrapper
        other = self._beside.get(alias)
        if other is None:
            other = self._beside[alias] = self._new_wrapper(alias)
            other.inc_thread_sharing()
        if other.connection is None:
            other.ensure_connection()
        return other

    def close(self) -> None:
        """Close the private connections (they are reopened on the next write)."""
        wrappers = [self._wrapper, *self._beside.values()]
        self._wrapper, self._beside = None, {}
        for wrapper in wrappers:
            if wrapper is not None:
                # A dead connection may fail to close.
                with contextlib.suppress(Exception):
                    wrapper.close()

    def abandon(self) -> None:
        """Forget the connections without closing them (after ``fork()``, in the child)."""
        wrappers = [self._wrapper, *self._beside.values()]
        self._wrapper, self._beside = None, {}
        for wrapper in wrappers:
            if wrapper is not None:
                _abandon(wrapper)

    # Writing ----------------------------------------------------------------------------

    def write(self, batch_id: str, events: Sequence[Mapping[str, Any]]) -> bool:
        """Commit ``events`` with the marker ``batch_id``; ``False`` if it was committed before.

        Raises :class:`Unavailable` when the database cannot be reached (retry later with
        the same ``batch_id``) and :class:`Rejected` when it refuses the rows.
        """
        try:
            wrapper = self.wrapper
            with wrapper.wrap_database_errors:
                return self._write(wrapper, batch_id, events)
        except (IntegrityError, DataError) as error:
            self._rollback()
            raise Rejected(str(error)) from error
        except Exception as error:
            self.close()
            raise Unavailable(_explained(error)) from error

    def _rollback(self) -> None:
        try:
            if self._wrapper is not None and self._wrapper.connection is not None:
                self._wrapper.connection.rollback()
        except Exception:
            # The connection is closed instead.
            self.close()

    def _write(
        self, wrapper: BaseDatabaseWrapper, batch_id: str, events: Sequence[Mapping[str, Any]]
    ) -> bool:
        from django.apps import apps

        apps.check_apps_ready()
        from djangotailoring.tracking.denormalizing import update_batch
        from djangotailoring.tracking.models import WrittenBatch
        from djangotailoring.tracking.placement import users_database

        raw = wrapper.connection
        users_wrapper = self.beside(wrapper, users_database(wrapper.alias))
        cursor = raw.cursor()
        try:
            copying = len(events) >= COPY_FROM and _copies(wrapper, cursor)
            users = self._existing_users(users_wrapper, {e["user"] for e in events} - {None})
            if copying:
                # The links are looked up first: no other statement can run during COPY.
                links = self._links(wrapper, cursor, events)
            else:
                rows = self._rows(wrapper, cursor, events, users)
            if wrapper.vendor == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            now = wrapper.ops.adapt_datetimefield_value(self._now())
            marker = _sql(wrapper, WrittenBatch, ["id", "written_at"], 1)
            try:
                cursor.execute(marker, [batch_id, now])
            except wrapper.Database.IntegrityError:  # type: ignore[attr-defined]
                raw.rollback()
                return False
            if copying:
                self._copy(wrapper, cursor, events, users, links)
            else:
                self._insert(wrapper, cursor, rows)
            update_batch(wrapper, events, users)
            raw.commit()
        except BaseException:
            # The original error is what matters.
            with contextlib.suppress(Exception):
                raw.rollback()
            raise
        finally:
            cursor.close()
        if users_wrapper is not wrapper:
            # Apart, the fields that follow events are on the users' database: updated once
            # the batch is committed (refresh_event_fields repairs a failure here).
            try:
                update_batch(users_wrapper, events, users)
            except Exception:
                logger.exception("Could not update the fields that follow a batch of events")
        self._maybe_prune(wrapper)
        return True

    @staticmethod
    def _now() -> datetime.datetime:
        now = datetime.datetime.now(datetime.timezone.utc)
        return now if settings.USE_TZ else now.astimezone().replace(tzinfo=None)

    def _rows(
        self,
        wrapper: BaseDatabaseWrapper,
        cursor: Any,
        events: Sequence[Mapping[str, Any]],
        users: Mapping[Any, Any],
    ) -> list[tuple[Any, ...]]:
        moment = _moment_adapter(wrapper)
        rows = []
        pace = self.pace
        for event in events:
            pace()
            data = event["data"]
            user = event["user"]
            user_id = None
            if user is not None:
                user_id = users.get(user)
                if user_id is None:
                    data = {**data, "user": user}
            content_type_id = object_id = None
            if event["related"] is not None:
                app_label, model, object_id = event["related"]
                content_type_id, uuid_key = self._content_type(cursor, wrapper, app_label, model)
                if content_type_id is None:
                    object_id = None
                elif uuid_key and not wrapper.features.has_native_uuid_field:
                    object_id = _uuid_hex(object_id)
            rows.append(
                (
                    event["name"],
                    moment(event["created"]),
                    event["note"],
                    content_type_id,
                    object_id,
                    _encode_json(data),
                    user_id,
                )
            )
        return rows

    def _links(
        self, wrapper: BaseDatabaseWrapper, cursor: Any, events: Sequence[Mapping[str, Any]]
    ) -> dict[tuple[str, str], tuple[int | None, bool]]:
        """The content types of the related objects of ``events``."""
        links = {}
        for event in events:
            related = event["related"]
            if related is not None:
                app_label, model, _ = related
                if (app_label, model) not in links:
                    links[app_label, model] = self._content_type(cursor, wrapper, app_label, model)
        return links

    def _copy(
        self,
        wrapper: BaseDatabaseWrapper,
        cursor: Any,
        events: Sequence[Mapping[str, Any]],
        users: dict[Any, Any],
        links: dict[tuple[str, str], tuple[int | None, bool]],
    ) -> None:
        """``COPY`` the rows of ``events``, sent a chunk at a time as they are built.

        The server parses one chunk while the next is built, instead of waiting for the
        whole text of the batch.
        """
        from djangotailoring.tracking.models import Event

        table = wrapper.ops.quote_name(Event._meta.db_table)
        columns = ", ".join(wrapper.ops.quote_name(c) for c in _columns(Event, _EVENT_FIELDS))
        text = _CopyText(
            users,
            links,
            local_time=not settings.USE_TZ,
            uuid_hex=not wrapper.features.has_native_uuid_field,
        )
        pace = self.pace
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy_:
            for start in range(0, len(events), COPY_CHUNK):
                copy_.write(text.lines(events[start : start + COPY_CHUNK], pace))

    def _existing_users(self, wrapper: BaseDatabaseWrapper, references: set[Any]) -> dict[Any, Any]:
        """Map each reference to an existing user to the value to store in ``user_id``
        (looked up on ``wrapper``, the users' database)."""
        if not references:
            return {}
        with contextlib.closing(wrapper.connection.cursor()) as cursor:
            return self._found_users(wrapper, cursor, references)

    def _found_users(
        self, wrapper: BaseDatabaseWrapper, cursor: Any, references: set[Any]
    ) -> dict[Any, Any]:
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        pk = user_model._meta.pk
        assert pk is not None
        wanted: dict[Any, list[Any]] = {}
        for reference in references:
            try:
                value = pk.get_db_prep_value(pk.to_python(reference), wrapper)
            except Exception:  # noqa: S112 - a malformed key is just not a user
                continue
            if isinstance(value, int) and not -(2**63) <= value < 2**63:
                # No key column holds it, and SQLite's driver cannot even send it.
                continue
            wanted.setdefault(value, []).append(reference)
        found: dict[Any, Any] = {}
        keys = list(wanted)
        step = _max_params(wrapper)
        table = wrapper.ops.quote_name(user_model._meta.db_table)
        column = wrapper.ops.quote_name(pk.column or pk.name)
        mark = _placeholder(wrapper)
        for start in range(0, len(keys), step):
            chunk = keys[start : start + step]
            marks = ", ".join([mark] * len(chunk))
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk)  # noqa: S608
            for (value,) in cursor.fetchall():
                for reference in wanted.get(value, ()):
                    found[reference] = value
        return found

    def _content_type(
        self, cursor: Any, wrapper: BaseDatabaseWrapper, app_label: str, model: str
    ) -> tuple[int | None, bool]:
        """The content type id of a model, and whether its primary key is a UUID."""
        key = (app_label, model)
        if key in self._content_types:
            return self._content_types[key]
        from django.apps import apps
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import UUIDField

        try:
            model_class = apps.get_model(app_label, model)
        except LookupError:
            model_class = None
        from djangotailoring.tracking.placement import content_types_database

        uuid_key = model_class is not None and isinstance(model_class._meta.pk, UUIDField)
        types_alias = content_types_database(wrapper.alias)
        if types_alias != wrapper.alias:
            types = self.beside(wrapper, types_alias)
            with contextlib.closing(types.connection.cursor()) as types_cursor:
                value = self._content_type_id(types, types_cursor, app_label, model)
        else:
            value = self._content_type_id(wrapper, cursor, app_label, model)
        if value is None and model_class is not None:
            # Creates the content type: rare (normally done by migrate).
            with contextlib.suppress(Exception):
                value = ContentType.objects.db_manager(types_alias).get_for_model(model_class).pk
        self._content_types[key] = (value, uuid_key)
        return value, uuid_key

    @staticmethod
    def _content_type_id(
        wrapper: BaseDatabaseWrapper, cursor: Any, app_label: str, model: str
    ) -> int | None:
        from django.contrib.contenttypes.models import ContentType

        table = wrapper.ops.quote_name(ContentType._meta.db_table)
        mark = _placeholder(wrapper)
        cursor.execute(
            f"SELECT id FROM {table} WHERE app_label = {mark} AND model = {mark}",  # noqa: S608
            [app_label, model],
        )
        row = cursor.fetchone()
        return row[0] if row else None

    def _insert(
        self, wrapper: BaseDatabaseWrapper, cursor: Any, rows: list[tuple[Any, ...]]
    ) -> None:
        from djangotailoring.tracking.models import Event

        if not rows:
            return
        if wrapper.vendor == "mysql":
            # MySQLdb turns executemany() into multi-row INSERTs that fit its packet size.
            cursor.executemany(_sql(wrapper, Event, _EVENT_FIELDS, 1), rows)
            return
        per_statement = max(1, _max_params(wrapper) // len(_EVENT_FIELDS))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [value for row in chunk for value in row]
            cursor.execute(_sql(wrapper, Event, _EVENT_FIELDS, len(chunk)), params)

    def _maybe_prune(self, wrapper: BaseDatabaseWrapper) -> None:
        now = self._now()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        self.prune_markers(now - MARKER_RETENTION)

    def prune_markers(self, before: datetime.datetime) -> None:
        """Delete batch markers written before ``before`` (best effort)."""
        from djangotailoring.tracking.models import WrittenBatch

        try:
            wrapper = self.wrapper
            with wrapper.wrap_database_errors:
                cursor = wrapper.connection.cursor()
                try:
                    table = wrapper.ops.quote_name(WrittenBatch._meta.db_table)
                    column = wrapper.ops.quote_name("written_at")
                    cursor.execute(
                        f"DELETE FROM {table} WHERE {column} < {_placeholder(wrapper)}",  # noqa: S608
                        [wrapper.ops.adapt_datetimefield_value(before)],
                    )
                    wrapper.connection.commit()
                finally:
                    cursor.close()
        except Exception:
            # Pruning is housekeeping; the next write retries it.
            self._rollback()


_EVENT_FIELDS = [
    "name",
    "timestamp",
    "note",
    "related_content_type",
    "related_object_id",
    "data",
    "user",
]


_encode_with_json = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode

try:
    import orjson
except ImportError:  # pragma: no cover - the "fast" extra is not installed
    orjson = None  # type: ignore[assignment]


_MISSING_TABLE = re.compile(r"no such table|does(?: not|n't) exist|UndefinedTable", re.IGNORECASE)
_TABLES = ("tracking_event", "tracking_writtenbatch")


def _explained(error: Exception) -> str:
    """The error's text, with what to do when it says the tables are missing."""
    text = f"{type(error).__name__}: {error}"
    if not (_MISSING_TABLE.search(text) and any(table in text for table in _TABLES)):
        return text
    from django.apps import apps

    if not apps.is_installed("djangotailoring.tracking"):
        return (
            f"{text}. Add 'djangotailoring.tracking' to INSTALLED_APPS and run "
            "'python manage.py migrate'"
        )
    return f"{text}. The events tables are missing: run 'python manage.py migrate'"


def _encode_json(data: Any) -> str:
    """``data`` as JSON text: by orjson when installed (the ``fast`` extra), else by json.

    Prepared data holds only JSON values, so both give the same document; orjson refuses
    what it cannot encode exactly (an integer beyond 64 bits), and json takes those.
    """
    if orjson is not None:
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            pass
    return _encode_with_json(data)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: Any) -> str:
    """``value`` as a field of COPY's text format (``\\N`` is NULL)."""
    if value is None:
        return "\\N"
    text = value if type(value) is str else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


class _CopyText:
    """Prepared events as the lines of COPY's text format (the columns of ``_EVENT_FIELDS``).

    The hot loop of a batch: each line is built in one f-string, and each event's
    timestamp from the text of its second (made once per second of the batch) and its
    microseconds, which is what ``datetime.fromtimestamp(created, zone).isoformat()``
    gives, at a fraction of the cost.
    """

    __slots__ = ("_links", "_prefix", "_second", "_users", "_uuid_hex", "_zone", "_zone_tab")

    def __init__(
        self,
        users: Mapping[Any, Any],
        links: Mapping[tuple[str, str], tuple[int | None, bool]],
        *,
        local_time: bool,
        uuid_hex: bool,
    ) -> None:
        self._users = users
        self._links = links
        self._uuid_hex = uuid_hex
        # Naive local time without time zone support, as Django writes it; else UTC.
        self._zone = None if local_time else datetime.timezone.utc
        self._zone_tab = "\t" if local_time else "+00\t"
        self._second: int | None = None
        self._prefix = ""

    def _second_text(self, second: int) -> str:
        # Always "YYYY-MM-DD HH:MM:SS." (isoformat pads the year to four digits).
        return datetime.datetime.fromtimestamp(second, self._zone).isoformat(" ")[:19] + "."

    def _link_fields(self, data: Any, user: Any, related: Any) -> tuple[Any, str, str]:
        """The row's data, its content type and object id fields, and its user field."""
        field = _copy_field
        user_field = type_field = object_field = "\\N"
        if user is not None:
            user_id = self._users.get(user)
            if user_id is None:
                # Not (or no longer) a user: kept in the data instead.
                data = {**data, "user": user}
            else:
                user_field = field(user_id)
        if related is not None:
            app_label, model, object_id = related
            content_type_id, uuid_key = self._links[app_label, model]
            if content_type_id is not None:
                type_field = field(content_type_id)
                if uuid_key and self._uuid_hex:
                    object_id = _uuid_hex(object_id)
                object_field = field(object_id)
        return data, f"{type_field}\t{object_field}", user_field

    def lines(self, events: Sequence[Mapping[str, Any]], pace: Callable[[], None]) -> str:
        """The lines of ``events``, joined; ``pace`` is called once per event."""
        lines: list[str] = []
        append = lines.append
        field = _copy_field
        dumps = orjson.dumps if orjson is not None else None
        by_json = _encode_with_json
        digits = _DIGITS
        # The time zone and the tab after the timestamp.
        zone = self._zone_tab
        known, prefix = self._second, self._prefix
        # A name or note rarely holds what COPY needs escaped: look in all of them at once.
        try:
            texts = "".join(map(_get_name, events)) + "".join(map(_get_note, events))
        except TypeError:
            plain = False
        else:
            plain = not ("\\" in texts or "\t" in texts or "\n" in texts or "\r" in texts)
        for event in events:
            pace()
            created = event["created"]
            # How datetime.fromtimestamp() rounds: the fraction of the second (exact in
            # binary), in microseconds, half to even; 1,000,000 carries into the second.
            second = int(created)
            micro = round((created - second) * 1_000_000)
            if micro >= 1_000_000:
                second += 1
                micro -= 1_000_000
            elif micro < 0:
                second -= 1
                micro += 1_000_000
            if second != known:
                known, prefix = second, self._second_text(second)
            name = event["name"]
            note = event["note"]
            if not plain:
                name = field(name)
                note = field(note)
            data = event["data"]
            user = event["user"]
            related = event["related"]
            links = None
            if user is not None or related is not None:
                data, links, user_field = self._link_fields(data, user, related)
            if dumps is None:
                text = by_json(data)
            else:
                try:
                    text = dumps(data).decode()
                except TypeError:
                    # Beyond orjson (an integer over 64 bits): json takes it.
                    text = by_json(data)
            # JSON text holds no tab, newline or carriage return: only backslashes.
            if "\\" in text:
                text = text.replace("\\", "\\\\")
            if links is None:
                # The usual row (no user, no related object), in the fewest pieces.
                append(
                    f"{name}\t{prefix}{digits[micro // 1000]}{digits[micro % 1000]}{zone}"
                    f"{note}\t\\N\t\\N\t{text}\t\\N\n"
                )
            else:
                append(
                    f"{name}\t{prefix}{digits[micro // 1000]}{digits[micro % 1000]}{zone}"
                    f"{note}\t{links}\t{text}\t{user_field}\n"
                )
        self._second, self._prefix = known, prefix
        return "".join(lines)


_DIGITS = [f"{number:03d}" for number in range(1000)]
_get_name = operator.itemgetter("name")
_get_note = operator.itemgetter("note")


def _uuid_hex(text: str) -> str:
    try:
        return uuid.UUID(text).hex
    except ValueError:
        return text


def _copies(wrapper: BaseDatabaseWrapper, cursor: Any) -> bool:
    """Whether batches go in by ``COPY`` (PostgreSQL with psycopg 3)."""
    return wrapper.vendor == "postgresql" and hasattr(cursor, "copy")


def _moment_adapter(wrapper: BaseDatabaseWrapper) -> Callable[[float], Any]:
    """Turn a record's ``created`` into the value the timestamp column takes (``INSERT``)."""
    utc = datetime.timezone.utc
    if not settings.USE_TZ:
        adapt = wrapper.ops.adapt_datetimefield_value
        return lambda created: adapt(datetime.datetime.fromtimestamp(created))
    if wrapper.features.supports_timezones:
        return lambda created: datetime.datetime.fromtimestamp(created, utc)
    # What adapt_datetimefield_value() does on databases without time zones: naive text in
    # the connection's time zone. Done directly, it costs a fifth.
    zone = wrapper.timezone
    return lambda created: str(datetime.datetime.fromtimestamp(created, zone).replace(tzinfo=None))


def _columns(model: Any, fields: Iterable[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def _placeholder(wrapper: BaseDatabaseWrapper) -> str:
    paramstyle = wrapper.Database.paramstyle  # type: ignore[attr-defined]
    return "?" if paramstyle == "qmark" else "%s"


def _max_params(wrapper: BaseDatabaseWrapper) -> int:
    raw = wrapper.connection
    getlimit = getattr(raw, "getlimit", None)
    if getlimit is not None:
        import sqlite3

        return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return int(wrapper.features.max_query_params or 10_000)


def _sql(wrapper: BaseDatabaseWrapper, model: Any, fields: list[str], rows: int) -> str:
    table = wrapper.ops.quote_name(model._meta.db_table)
    columns = ", ".join(wrapper.ops.quote_name(c) for c in _columns(model, fields))
    mark = _placeholder(wrapper)
    values = "(" + ", ".join([mark] * len(fields)) + ")"
    return f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([values] * rows)  # noqa: S608
