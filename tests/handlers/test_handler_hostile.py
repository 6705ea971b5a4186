"""Property-based tests: EventHandler with arbitrary, hostile log calls.

Whatever an application logs, the handler never raises into the caller and persists exactly
one Event per record, storable on every database: NUL characters and lone surrogates are
replaced, long values shortened, non-JSON values stringified, and the original of a name or
note that had to change is kept in ``data["original"]``. Nothing is dropped or spilled.
Every test runs with the handler writing in the caller's thread and in its background writer.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.utils.functional import SimpleLazyObject
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from djangotailoring.handlers import EventHandler
from djangotailoring.handlers.handover import EVENT_KEYS, STANDARD_ATTRIBUTES
from djangotailoring.sanitizing import clean_text, escape_unstorable, json_safe, safe_str
from djangotailoring.tracking.models import Event
from tests.handlers.conftest import HandlerFactory
from tests.testapp.models import IntTarget, StrTarget

log = logging.getLogger("hostile")

HOSTILE = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Every code point of every plane, NUL and lone surrogates included.
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=300)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
ELLIPSIS = "\u2026"


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class Untouchable(Unprintable):
    """Fails on every attribute lookup, even ``__class__`` (so even ``isinstance()`` raises)."""

    def __getattribute__(self, name: str) -> Any:
        raise RuntimeError(f"no {name}")


def failing_lazy() -> Any:
    """A lazy object whose evaluation fails (a broken session behind ``request.user``)."""
    return SimpleLazyObject(lambda: 1 / 0)


def recursive_list() -> list[Any]:
    value: list[Any] = ["loop"]
    value.append(value)
    return value


def recursive_dict() -> dict[str, Any]:
    value: dict[str, Any] = {"name": "loop"}
    value["self"] = value
    return value


@dataclass(frozen=True)
class Make:
    """A hostile value to build in the test: Hypothesis itself must not touch it."""

    factory: Callable[[], Any]

    def __repr__(self) -> str:
        return f"Make({self.factory.__name__})"


def build(value: Any) -> Any:
    """``value`` with every :class:`Make` replaced by what it makes."""
    if isinstance(value, Make):
        return value.factory()
    if isinstance(value, (list, tuple)):
        return type(value)(build(item) for item in value)
    if isinstance(value, dict):
        return {key: build(item) for key, item in value.items()}
    return value


HOSTILE_OBJECTS = st.sampled_from([Make(Unprintable), Make(Untouchable), Make(failing_lazy)])
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | ANY_TEXT
    | st.binary(max_size=20)
    | st.datetimes()
    | st.decimals()
    | st.uuids()
    | st.builds(pow, st.just(10), st.integers(19, 400))
    | st.sampled_from([Make(recursive_list), Make(recursive_dict)])
    | HOSTILE_OBJECTS
)
VALUES = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.frozensets(st.integers() | ANY_TEXT, max_size=3)
        | st.dictionaries(ANY_TEXT | st.integers(), children, max_size=4)
    ),
    max_leaves=10,
)
# Keys that logging itself refuses in ``extra``, or that the handler reads as Event fields.
NOT_PLAIN_EXTRAS = STANDARD_ATTRIBUTES | set(EVENT_KEYS) | {"request", "_logger", "_name"}
EXTRA_KEYS = st.text(alphabet=ANY_CHAR, min_size=1, max_size=20).filter(
    lambda key: key not in NOT_PLAIN_EXTRAS
)


@pytest.fixture(params=["immediate", "background"])
def handler(request: pytest.FixtureRequest, event_handler: HandlerFactory) -> EventHandler:
    """An EventHandler on the ``hostile`` logger, writing at once or in its writer thread."""
    return event_handler(loggers=("hostile",), immediate=request.param == "immediate")


@pytest.fixture
def reported(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    """Errors that EventHandler reports through ``handleError()`` (none is expected)."""
    errors: list[BaseException | None] = []
    monkeypatch.setattr(
        EventHandler, "handleError", lambda self, record: errors.append(sys.exc_info()[1])
    )
    return errors


@pytest.fixture
def persist(handler: EventHandler, reported: list[BaseException | None]) -> Callable[..., Event]:
    """Log once with the given arguments; return the one Event that the call persisted."""

    def persist_call(*args: Any, level: int = logging.INFO, **kwargs: Any) -> Event:
        latest = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        before = handler.stats
        # pytest attaches its capture handlers to non-propagating loggers too, and they
        # raise on the malformed records logged here on purpose: only EventHandler listens.
        log.handlers[:] = [handler]
        log.log(level, *args, **kwargs)
        handler.flush()
        assert reported == []
        after = handler.stats
        assert (after.dropped, after.spilled, after.queued) == (before.dropped, before.spilled, 0)
        (event,) = Event.objects.filter(pk__gt=latest)
        assert_storable(event)
        return event

    return persist_call


def assert_storable(event: Event) -> None:
    stored = json.dumps([event.name, event.note, event.data], ensure_ascii=False)
    assert UNSTORABLE.search(stored) is None
    assert len(event.name) <= 100
    assert len(event.note) <= 255


def same_json(stored: Any, expected: Any) -> bool:
    """Equal as JSON; PostgreSQL's ``jsonb`` gives a whole float back as an integer."""
    if isinstance(stored, dict) and isinstance(expected, dict):
        return stored.keys() == expected.keys() and all(
            same_json(stored[key], expected[key]) for key in stored
        )
    if isinstance(stored, list) and isinstance(expected, list):
        return len(stored) == len(expected) and all(map(same_json, stored, expected))
    if isinstance(expected, float) and isinstance(stored, int) and not isinstance(stored, bool):
        return float(stored) == expected
    return type(stored) is type(expected) and bool(stored == expected)


def assert_kept(event: Event, field: str, original: str) -> None:
    """``field`` of ``event`` is ``original`` or, where it could not be, keeps it in data."""
    stored = getattr(event, field)
    if stored == original:
        assert field not in event.data.get("original", {})
        return
    assert event.data["original"][field] == escape_unstorable(original)
    assert clean_text(original).startswith(stored.removesuffix(ELLIPSIS))
    limit = {"name": 100, "note": 255}[field]
    assert len(original) > limit or clean_text(original) != original


@HOSTILE
@given(message=ANY_TEXT)
def test_any_message_is_the_name_or_kept_as_its_original(
    persist: Callable[..., Event], message: str
) -> None:
    event = persist(message)
    assert_kept(event, "name", message)
    assert event.note == ""


@HOSTILE
@given(note=ANY_TEXT)
def test_any_note_is_the_note_or_kept_as_its_original(
    persist: Callable[..., Event], note: str
) -> None:
    event = persist("Noted", extra={"note": note})
    assert event.name == "Noted"
    assert_kept(event, "note", note)


@HOSTILE
@given(event_name=ANY_TEXT, message=ANY_TEXT)
def test_any_event_name_with_any_message_keeps_both(
    persist: Callable[..., Event], event_name: str, message: str
) -> None:
    event = persist(message, extra={"event_name": event_name})
    assert_kept(event, "name", event_name)
    assert_kept(event, "note", message)


@example(extras={"ratio": float("inf"), "missing": float("nan")}).via("no JSON floats")
@HOSTILE
@given(extras=st.dictionaries(EXTRA_KEYS, VALUES, max_size=5))
def test_any_extras_are_kept_json_safe_key_by_key(
    persist: Callable[..., Event], extras: dict[str, Any]
) -> None:
    extras = build(extras)
    event = persist("WithExtras", extra=extras)
    if not extras:
        assert "extra" not in event.data
        return
    stored = event.data["extra"]
    assert set(stored) == {clean_text(key) for key in extras}
    assert same_json(stored, json_safe(extras))


@HOSTILE
@given(
    template=st.sampled_from(
        ["%s", "%s and %s", "%d items", "%(key)s", "100%", "%z", "%.2f", "%c", "%r %r %r"]
    )
    | ANY_TEXT,
    args=st.lists(VALUES, max_size=3) | st.dictionaries(ANY_TEXT, VALUES, min_size=1, max_size=2),
)
# A template that cannot be stored as it is and cannot be formatted either: the name is its
# storable form, the template itself is kept in data["original"].
@example(template="\x00", args=[None])
def test_any_arguments_for_any_template_keep_the_template_or_the_message(
    persist: Callable[..., Event], template: str, args: list[Any] | dict[str, Any]
) -> None:
    args = build(args)
    call_args = tuple(args) if isinstance(args, list) else (args,)
    try:
        record = log.makeRecord(log.name, logging.INFO, __file__, 1, template, call_args, None)
    except Exception:
        # The standard library itself refuses these arguments (e.g. a lone argument whose
        # isinstance() check raises) before any handler is called: nothing to test here.
        assume(False)
    try:
        expected, failed = record.getMessage(), False
    except Exception:
        expected, failed = template, True
    event = persist(template, *call_args)
    # Unformattable: the template itself is the name (made storable, the original kept).
    assert_kept(event, "name", expected)
    if failed and record.args:
        assert same_json(event.data["extra"]["args"], json_safe(record.args))


@HOSTILE
@given(message=HOSTILE_OBJECTS | st.sampled_from([Make(recursive_list), Make(recursive_dict)]))
def test_unprintable_or_recursive_message_objects_are_persisted(
    persist: Callable[..., Event], message: object
) -> None:
    message = build(message)
    event = persist(message)
    assert_kept(event, "name", safe_str(message))


@example(user=2**64).via("beyond 64 bits")
@example(user=str(-(2**63) - 1)).via("beyond 64 bits, as text")
@example(user=float("inf")).via("no JSON: the journal's encoder writes it as null")
@example(user=float("nan")).via("no JSON: the journal's encoder writes it as null")
@HOSTILE
@given(user=st.integers() | ANY_TEXT | st.uuids() | st.floats() | st.booleans() | HOSTILE_OBJECTS)
def test_any_user_reference_without_a_user_is_kept_in_data(
    persist: Callable[..., Event], user: object
) -> None:
    user = build(user)
    event = persist("Referenced", extra={"user": user})
    assert event.user is None
    assert same_json(event.data["user"], json_safe(user))


def loaded_lazy(load: Callable[[], object]) -> object:
    """A ``SimpleLazyObject`` evaluated now (as ``request.user`` is once a view used it)."""
    lazy = SimpleLazyObject(load)
    str(lazy)
    return lazy


@pytest.mark.parametrize(
    "dead_user",
    [
        lambda user: user.pk,
        lambda user: str(user.pk),
        lambda user: User.objects.get(pk=user.pk),
        lambda user: loaded_lazy(lambda: User.objects.get(pk=user.pk)),
    ],
    ids=["primary-key", "primary-key-text", "stale-instance", "lazy-stale-instance"],
)
def test_user_that_no_longer_exists_is_kept_in_data(
    persist: Callable[..., Event], dead_user: Callable[[User], object]
) -> None:
    user = User.objects.create(username="gone")
    reference = dead_user(user)
    pk = user.pk
    User.objects.filter(pk=pk).delete()
    event = persist("Departed", extra={"user": reference})
    assert event.user is None
    assert str(event.data["user"]) == str(pk)


def deleted_user() -> User:
    user = User.objects.create(username="deleted")
    user.delete()
    return user


@pytest.mark.parametrize(
    "make_user",
    [lambda: User(username="unsaved"), deleted_user, failing_lazy],
    ids=["unsaved", "deleted-instance", "failing-lazy"],
)
def test_user_that_was_never_saved_or_was_deleted_is_described(
    persist: Callable[..., Event], make_user: Callable[[], object]
) -> None:
    user = make_user()
    event = persist("Described", extra={"user": user})
    assert event.user is None
    assert event.data["user"] == safe_str(user)


def test_model_instance_that_is_not_a_user_is_not_taken_for_one(
    persist: Callable[..., Event],
) -> None:
    target = IntTarget.objects.create(label="not a user")
    User.objects.create(pk=target.pk, username="same-key")
    event = persist("Confused", extra={"user": target})
    assert event.user is None
    assert event.data["user"] == "IntTarget not a user"


@pytest.mark.parametrize(
    "related",
    [
        lambda: IntTarget(label="unsaved"),
        lambda: deleted(IntTarget.objects.create(label="deleted")),
        lambda: StrTarget(id="ghost", label="never saved"),
        lambda: stale(IntTarget.objects.create(label="stale")),
        lambda: StrTarget.objects.create(id="s\U0001d11e \u2028/\\'\"", label="odd key"),
        lambda: IntTarget,
        Unprintable,
        Untouchable,
        failing_lazy,
        lambda: IntTarget.objects.all(),
    ],
    ids=[
        "unsaved",
        "deleted",
        "unsaved-with-key",
        "stale",
        "odd-string-key",
        "model-class",
        "unprintable",
        "untouchable",
        "failing-lazy",
        "queryset",
    ],
)
def test_any_related_object_is_linked_or_described(
    persist: Callable[..., Event], related: Callable[[], object]
) -> None:
    value = related()
    event = persist("Related", extra={"related_object": value})
    assert event.data["related_object"] == safe_str(value)
    if event.related_object_id is not None:
        assert event.related_object_id == str(value.pk)  # type: ignore[attr-defined]


def deleted(target: IntTarget) -> IntTarget:
    target.delete()
    return target


def stale(target: IntTarget) -> IntTarget:
    IntTarget.objects.filter(pk=target.pk).delete()
    return target


class BrokenStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


class BrokenRepr(BrokenStr):
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def cyclic() -> BaseException:
    error = ValueError("cause of itself")
    error.__cause__ = error
    return error


def noted() -> BaseException:
    error = ValueError("noted")
    error.__notes__ = [Unprintable(), "n\x00te"]  # type: ignore[list-item]
    return error


def raised(error: BaseException) -> tuple[Any, ...]:
    try:
        raise error
    except BaseException:
        return sys.exc_info()


def deep_recursion() -> tuple[Any, ...]:
    def down() -> None:
        down()

    try:
        down()
    except RecursionError:
        return sys.exc_info()
    raise AssertionError


WEIRD_EXCEPTIONS = {
    "broken-str": lambda: raised(BrokenStr()),
    "broken-repr": lambda: raised(BrokenRepr()),
    "nul-and-surrogate": lambda: raised(ValueError("a\x00b\udc80c")),
    "unstorable-module-name": lambda: raised(
        type("Odd", (Exception,), {"__module__": "m\x00d\ud800"})("x")
    ),
    "huge-message": lambda: raised(ValueError("\U0001f600" * 200_000)),
    "cause-cycle": lambda: raised(cyclic()),
    "unprintable-notes": lambda: raised(noted()),
    "keyboard-interrupt": lambda: raised(KeyboardInterrupt()),
    "system-exit": lambda: raised(SystemExit(None)),
    "deep-recursion": deep_recursion,
    "never-raised": lambda: ValueError("no traceback"),
    "none-tuple": lambda: (None, None, None),
    "value-not-an-exception": lambda: (ValueError, "not an exception", None),
    "strings": lambda: ("a", "b", "c"),
    "short-tuple": lambda: (ValueError,),
}
if sys.version_info >= (3, 11):
    WEIRD_EXCEPTIONS["exception-group"] = lambda: raised(
        ExceptionGroup("group", [ValueError("one"), ExceptionGroup("inner", [KeyError("k")])])  # noqa: F821
    )


@pytest.mark.parametrize("exc_info", list(WEIRD_EXCEPTIONS.values()), ids=list(WEIRD_EXCEPTIONS))
def test_weird_exc_info_is_persisted_with_what_can_be_told(
    persist: Callable[..., Event], exc_info: Callable[[], Any]
) -> None:
    value = exc_info()
    event = persist("Failed", level=logging.ERROR, exc_info=value)
    assert event.name == "Failed"
    error = value if isinstance(value, BaseException) else value[1] if len(value) > 1 else None
    if isinstance(error, BaseException):
        assert clean_text(type(error).__name__) in event.data["exception"]
    elif isinstance(value, tuple) and value and value[0] is not None:
        assert isinstance(event.data["exception"], str)


@pytest.mark.parametrize(
    "field", ["message", "note", "event_name", "extra", "exception", "user", "related_object"]
)
def test_huge_values_from_every_plane_are_persisted(
    persist: Callable[..., Event], field: str
) -> None:
    # One character of each of the 17 planes, NUL and a lone surrogate, over and over.
    unit = "".join(chr(plane * 0x10000 + 0x41) for plane in range(17)) + "\x00\ud800"
    huge = unit * (1_000_000 // len(unit))
    if field == "message":
        event = persist(huge)
        assert_kept(event, "name", huge)
    elif field == "exception":
        event = persist("Huge", exc_info=raised(ValueError(huge)))
        assert clean_text(huge) in event.data["exception"]
    else:
        event = persist("Huge", extra={field: huge})
        kept = {
            "note": (event.data.get("original", {}).get("note"), escape_unstorable(huge)),
            "event_name": (event.data.get("original", {}).get("name"), escape_unstorable(huge)),
            "extra": (event.data.get("extra", {}).get("extra"), clean_text(huge)),
            "user": (event.data.get("user"), clean_text(huge)),
            "related_object": (
                event.data.get("related_object"),
                clean_text(huge)[:999] + ELLIPSIS,
            ),
        }
        assert kept[field][0] == kept[field][1]


def test_deep_nesting_is_persisted(persist: Callable[..., Event]) -> None:
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    event = persist("Deep", extra={"nested": nested, "flat": 1})
    assert event.data["extra"]["flat"] == 1
    assert isinstance(event.data["extra"]["nested"], list)


@pytest.mark.parametrize(
    "make_request",
    [Unprintable, Untouchable, failing_lazy, AnonymousUser, lambda: "GET /"],
    ids=["unprintable", "untouchable", "failing-lazy", "not-a-request", "text"],
)
def test_request_extra_that_is_not_a_request_is_kept_as_extra(
    persist: Callable[..., Event], make_request: Callable[[], object]
) -> None:
    request_extra = make_request()
    event = persist("NotARequest", extra={"request": request_extra})
    assert "request" not in event.data
    assert event.data["extra"]["request"] == safe_str(request_extra)
