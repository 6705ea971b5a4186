"""The syslog recipe sends each event as one UDP datagram with the local0 facility."""

from __future__ import annotations

import logging.config
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from djangotailoring.tracking import create_event
from tests.docs.docfiles import load_logging

pytestmark = pytest.mark.django_db

LOCAL0_INFO = (16 << 3) | 6


@pytest.fixture
def syslog_server() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        yield server


def test_syslog_receives_event_with_local0_info_priority(
    syslog_server: socket.socket, django_capture_on_commit_callbacks: Any
) -> None:
    config = load_logging("recipes/syslog.py")
    config["handlers"]["events_syslog"]["address"] = syslog_server.getsockname()
    logging.config.dictConfig(config)
    with django_capture_on_commit_callbacks(execute=True):
        create_event("UserWithdrawn")
    datagram, _ = syslog_server.recvfrom(4096)
    assert datagram == f"<{LOCAL0_INFO}>mysite[{os.getpid()}]: UserWithdrawn\x00".encode()
