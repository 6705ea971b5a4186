"""The request context: ids, client addresses, the current request, users loaded or not."""

from __future__ import annotations

import contextvars

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject, empty

from djangotailoring.requestcontext import (
    RequestState,
    client_address,
    current_request,
    current_state,
    in_event_loop,
    incoming_request_id,
    is_valid_request_id,
    loaded_user,
    new_request_id,
    request_context,
    request_id_of,
    request_user,
    reset_current,
    set_current,
    unwrap_request,
    user_is_loaded,
)


class FakeUser:
    pk = 3
    is_authenticated = True

    def get_username(self) -> str:
        return "fake"


def test_new_request_id_is_32_hex_digits() -> None:
    request_id = new_request_id()
    assert len(request_id) == 32
    assert is_valid_request_id(request_id)
    assert int(request_id, 16) >= 0


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0af7651916cd43dd8448eb211c80319c", True),
        ("123e4567-e89b-12d3-a456-426614174000", True),
        ("a", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("", False),
        ("tab\there", False),
        ("line\nbreak", False),
        ("trailing-newline\n", False),
        ("\u0661\u0662", False),
    ],
)
def test_request_id_validity(value: str, valid: bool) -> None:
    assert is_valid_request_id(value) is valid


def test_incoming_request_id_is_stripped() -> None:
    request = RequestFactory().get("/", headers={"X-Request-ID": "  padded-id  "})
    assert incoming_request_id(request) == "padded-id"


def test_incoming_request_id_is_none_without_the_header() -> None:
    assert incoming_request_id(RequestFactory().get("/")) is None


def test_current_request_is_none_outside_a_request() -> None:
    assert current_state() is None
    assert current_request() is None


def test_set_and_reset_current() -> None:
    request = RequestFactory().get("/")
    token = set_current(RequestState(request, "state-id"))
    try:
        assert current_request() is request
        assert request_id_of(request) == "state-id"
    finally:
        reset_current(token)
    assert current_state() is None


def test_resetting_with_a_token_of_another_context_clears_the_state() -> None:
    state = RequestState(RequestFactory().get("/"), "other-context")
    token = contextvars.copy_context().run(set_current, state)
    outer = set_current(state)
    reset_current(token)
    assert current_state() is None
    reset_current(outer)


def test_request_id_of_reads_the_attribute_the_middleware_set() -> None:
    request = RequestFactory().get("/")
    request.request_id = "attribute-id"  # type: ignore[attr-defined]
    assert request_id_of(request) == "attribute-id"


def test_request_id_of_ignores_a_malformed_attribute() -> None:
    request = RequestFactory().get("/")
    request.request_id = "bad id\n"  # type: ignore[attr-defined]
    assert request_id_of(request) is None


class WrappingRequest:
    """Like Django REST framework's Request: the Django request is ``_request``."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request


def test_unwrap_request() -> None:
    request = RequestFactory().get("/")
    assert unwrap_request(request) is request
    assert unwrap_request(WrappingRequest(request)) is request
    assert unwrap_request(object()) is None
    assert unwrap_request(None) is None


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ([], "127.0.0.1", "198.51.100.66", "127.0.0.1"),
        (["10.0.0.0/8"], "203.0.113.5", "198.51.100.66", "203.0.113.5"),
        (["10.0.0.0/8"], "10.0.0.1", "", "10.0.0.1"),
        (["10.0.0.0/8"], "10.0.0.1", "198.51.100.66, 203.0.113.9", "203.0.113.9"),
        (["10.0.0.0/8"], "10.0.0.1", "198.51.100.66, 10.0.0.2", "198.51.100.66"),
        (["10.0.0.0/8"], "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),
        (["10.0.0.0/8"], "10.0.0.1", "unknown, 10.0.0.2", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.1", "198.51.100.7:4711", "198.51.100.7"),
        (["10.0.0.0/8"], "10.0.0.1", "[2001:db8::7]:4711", "2001:db8::7"),
        (["10.0.0.0/8"], "::ffff:10.0.0.1", "198.51.100.7", "198.51.100.7"),
        (["2001:db8::/32"], "2001:db8::1", "2001:db8::2, 2001:db9::5", "2001:db9::5"),
        (["not-a-network", "10.0.0.1"], "10.0.0.1", "198.51.100.7", "198.51.100.7"),
        ([], "unix:/run/app.sock", "", "unix:/run/app.sock"),
        ([], "", "198.51.100.66", None),
    ],
)
def test_client_address(
    settings: pytest.FixtureRequest,
    trusted: list[str],
    peer: str,
    forwarded: str,
    expected: str | None,
) -> None:
    settings.TRACKING_TRUSTED_PROXIES = trusted  # type: ignore[attr-defined]
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_client_address_is_none_when_recording_is_off(settings: pytest.FixtureRequest) -> None:
    settings.TRACKING_RECORD_CLIENT_ADDRESS = False  # type: ignore[attr-defined]
    assert client_address(RequestFactory().get("/")) is None


def test_request_context_is_storable() -> None:
    request = RequestFactory().get("/nul%00here/")
    assert request_context(request) == {
        "id": None,
        "method": "GET",
        "path": "/nul\ufffdhere/",
        "remote_addr": "127.0.0.1",
    }


def request_with_user(user: object) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user  # type: ignore[assignment]
    return request


def test_request_without_a_user_has_nothing_to_load() -> None:
    request = RequestFactory().get("/")
    assert user_is_loaded(request)
    assert loaded_user(request) is None


def test_lazy_user_not_evaluated_is_not_loaded() -> None:
    request = request_with_user(SimpleLazyObject(FakeUser))
    assert not user_is_loaded(request)
    assert loaded_user(request) is None
    assert not user_is_loaded(request)


def test_lazy_user_evaluated_is_loaded() -> None:
    lazy = SimpleLazyObject(FakeUser)
    assert lazy.is_authenticated
    request = request_with_user(lazy)
    assert user_is_loaded(request)
    assert loaded_user(request).get_username() == "fake"  # type: ignore[union-attr]


@pytest.mark.parametrize("cache", ["_cached_user", "_acached_user"])
def test_user_cached_by_the_authentication_middleware_is_loaded(cache: str) -> None:
    request = RequestFactory().get("/")
    request.session = {}  # type: ignore[assignment]
    AuthenticationMiddleware(lambda request: HttpResponse()).process_request(request)
    setattr(request, cache, FakeUser())
    assert user_is_loaded(request)
    assert isinstance(loaded_user(request), FakeUser)
    assert request.user._wrapped is empty  # type: ignore[attr-defined]


def test_cache_of_the_authentication_middleware_is_not_a_lazy_user_set_later() -> None:
    request = request_with_user(SimpleLazyObject(FakeUser))
    request._cached_user = AnonymousUser()  # type: ignore[attr-defined]
    assert not user_is_loaded(request)
    assert isinstance(request_user(request), FakeUser)


def test_anonymous_user_is_loaded_but_not_a_user() -> None:
    request = request_with_user(AnonymousUser())
    assert user_is_loaded(request)
    assert loaded_user(request) is None
    assert request_user(request) is None


def test_request_user_loads_a_lazy_user() -> None:
    request = request_with_user(SimpleLazyObject(FakeUser))
    assert isinstance(request_user(request), FakeUser)
    assert user_is_loaded(request)


def test_in_event_loop() -> None:
    async def inside() -> bool:
        return in_event_loop()

    assert in_event_loop() is False
    assert async_to_sync(inside)() is True
