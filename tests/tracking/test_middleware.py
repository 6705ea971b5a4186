"""RequestContextMiddleware: request ids, events, no side effects, context cleared."""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import AsyncIterator

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.test import AsyncClient, Client, RequestFactory

from djangotailoring.requestcontext import current_state
from djangotailoring.tracking.middleware import RequestContextMiddleware
from djangotailoring.tracking.models import Event
from tests.context_logging import lines_with, text_logging

pytestmark = pytest.mark.urls("tests.context_urls")

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def alice(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("alice", password="alice-password")


def test_request_without_an_id_gets_a_generated_one_echoed(client: Client) -> None:
    response = client.get("/state/")
    assert GENERATED.fullmatch(response["X-Request-ID"])
    assert response.json()["id"] == response["X-Request-ID"]


def test_each_request_gets_its_own_generated_id(client: Client) -> None:
    assert client.get("/state/")["X-Request-ID"] != client.get("/state/")["X-Request-ID"]


@pytest.mark.parametrize(
    "incoming",
    [
        str(uuid.uuid4()),
        uuid.uuid4().hex,
        "8f9a1b2c3d4e5f60-AMS",
        "Root=1-5759e988-bd862e3fe1be46a994272793",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "svc.api:42/req+retry=2@edge",
        "x" * 128,
    ],
)
def test_well_formed_incoming_id_is_used_and_echoed(client: Client, incoming: str) -> None:
    response = client.get("/state/", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] == incoming
    assert response.json()["id"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "abc\n2099-01-01 CRITICAL forged line",
        "abc\r\nX-Injected: yes",
        "has space",
        '"quoted"',
        "semi;colon",
        "<script>",
        "caf\u00e9",
        "x" * 129,
    ],
)
def test_malformed_incoming_id_is_replaced_by_a_generated_one(
    client: Client, incoming: str
) -> None:
    response = client.get("/state/", headers={"X-Request-ID": incoming})
    assert GENERATED.fullmatch(response["X-Request-ID"])
    assert response.json()["id"] == response["X-Request-ID"]


def test_request_id_header_setting_is_read_per_request(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.TRACKING_REQUEST_ID_HEADER = "X-Correlation-ID"  # type: ignore[attr-defined]
    response = client.get(
        "/state/", headers={"X-Correlation-ID": "corr-1", "X-Request-ID": "not-this-one"}
    )
    assert response["X-Correlation-ID"] == "corr-1"
    assert "X-Request-ID" not in response


def test_request_id_header_set_by_the_view_is_kept(client: Client) -> None:
    response = client.get("/own-id/", headers={"X-Request-ID": "from-client"})
    assert response["X-Request-ID"] == "set-by-the-view"


def test_async_view_sees_the_request_id() -> None:
    response = async_to_sync(AsyncClient().get)("/aplain/", headers={"X-Request-ID": "async-1"})
    assert response.json()["id"] == "async-1"
    assert response["X-Request-ID"] == "async-1"


@pytest.mark.django_db
def test_event_created_during_a_request_records_its_context(client: Client) -> None:
    client.get("/record/", headers={"X-Request-ID": "evt-1"})
    assert Event.objects.get().data["request"] == {
        "id": "evt-1",
        "method": "GET",
        "path": "/record/",
        "remote_addr": "127.0.0.1",
    }


@pytest.mark.django_db
def test_event_created_in_an_async_view_records_the_request_id() -> None:
    async_to_sync(AsyncClient().get)("/arecord/", headers={"X-Request-ID": "evt-async"})
    assert Event.objects.get().data["request"]["id"] == "evt-async"


@pytest.mark.django_db
def test_event_created_without_recording_addresses_has_no_address(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.TRACKING_RECORD_CLIENT_ADDRESS = False  # type: ignore[attr-defined]
    client.get("/record/")
    assert Event.objects.get().data["request"]["remote_addr"] is None


@pytest.mark.django_db
def test_spoofed_forwarded_for_is_ignored_without_trusted_proxies(client: Client) -> None:
    client.get("/record/", headers={"X-Forwarded-For": "198.51.100.66"})
    assert Event.objects.get().data["request"]["remote_addr"] == "127.0.0.1"


@pytest.mark.django_db
def test_trusted_proxy_gives_the_right_most_untrusted_hop(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.TRACKING_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]  # type: ignore[attr-defined]
    client.get("/record/", headers={"X-Forwarded-For": "198.51.100.66, 203.0.113.9, 10.1.2.3"})
    assert Event.objects.get().data["request"]["remote_addr"] == "203.0.113.9"


@pytest.mark.django_db
def test_middleware_adds_no_vary_cookie_when_the_view_ignores_the_user(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    response = client.get("/plain/")
    assert "Vary" not in response


@pytest.mark.django_db
def test_a_view_that_reads_the_user_does_get_vary_cookie(client: Client, alice: User) -> None:
    # The counterpart of the test above: this setup does show a session being read.
    client.force_login(alice)
    response = client.get("/touch-user/")
    assert response.content == b"True"
    assert "Cookie" in response["Vary"]


def test_context_is_cleared_after_the_response(client: Client) -> None:
    response = client.get("/plain/")
    assert response.content != b"none"
    assert current_state() is None


def test_context_is_cleared_after_the_view_raised() -> None:
    with pytest.raises(ValueError, match="boom"):
        Client().get("/fails/")
    assert current_state() is None


def test_server_error_response_echoes_the_request_id() -> None:
    response = Client(raise_request_exception=False).get(
        "/fails/", headers={"X-Request-ID": "err-1"}
    )
    assert response.status_code == 500
    assert response["X-Request-ID"] == "err-1"


def test_streaming_body_has_the_context_while_each_chunk_is_produced(client: Client) -> None:
    stream = text_logging("%(request_id)s | %(message)s", "tests.context")
    response = client.get("/stream/", headers={"X-Request-ID": "stream-1"})
    assert current_state() is None
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body == b"stream-1\n" * 3
    assert lines_with(stream, "chunk") == [f"stream-1 | chunk {n}" for n in range(3)]
    assert lines_with(stream, "closed") == ["stream-1 | body closed"]
    assert current_state() is None


def test_streaming_body_that_is_never_iterated_leaves_no_context(client: Client) -> None:
    stream = text_logging("%(request_id)s | %(message)s", "tests.context")
    response = client.get("/stream/")
    assert response.streaming
    logging.getLogger("tests.context").info("after the response")
    assert stream.getvalue() == "- | after the response\n"


def test_async_streaming_body_has_the_context_until_the_last_chunk() -> None:
    async def fetch() -> tuple[object, list[bytes], object]:
        response = await AsyncClient().get("/astream/", headers={"X-Request-ID": "astream-1"})
        before = current_state()
        chunks = [chunk async for chunk in response.streaming_content]
        return before, chunks, current_state()

    stream = text_logging("%(request_id)s | %(message)s", "tests.context")
    before, chunks, after = async_to_sync(fetch)()
    assert before is None
    assert b"".join(chunks) == b"astream-1\n" * 3
    assert lines_with(stream, "chunk") == [f"astream-1 | chunk {n}" for n in range(3)]
    assert after is None


def test_async_streaming_body_closed_early_leaves_no_context() -> None:
    async def fetch() -> tuple[bytes, object]:
        response = await AsyncClient().get("/astream/", headers={"X-Request-ID": "aearly"})
        chunks = aiter(response.streaming_content)
        first = await anext(chunks)
        await chunks.aclose()  # type: ignore[attr-defined]
        return first, current_state()

    first, after = async_to_sync(fetch)()
    assert first == b"aearly\n"
    assert after is None


def test_middleware_used_directly_with_an_async_streaming_response() -> None:
    async def body() -> AsyncIterator[bytes]:
        state = current_state()
        yield (state.request_id if state else "none").encode()

    async def view(request: HttpRequest) -> StreamingHttpResponse:
        return StreamingHttpResponse(body())

    async def run() -> bytes:
        request = RequestFactory().get("/", headers={"X-Request-ID": "direct-1"})
        response = await RequestContextMiddleware(view)(request)
        return b"".join([chunk async for chunk in response.streaming_content])

    assert async_to_sync(run)() == b"direct-1"


def test_file_response_keeps_its_file_for_the_server() -> None:
    middleware = RequestContextMiddleware(lambda request: FileResponse(io.BytesIO(b"data")))
    response = middleware(RequestFactory().get("/file/"))
    assert response.file_to_stream is not None
    assert GENERATED.fullmatch(response["X-Request-ID"])
