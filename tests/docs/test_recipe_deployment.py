"""The deployment recipe: gunicorn's access log shows the id the middleware echoes."""

from __future__ import annotations

import pytest
from django.test import Client

from djangotailoring.conf import conf
from tests.docs.docfiles import load

pytestmark = pytest.mark.django_db


def test_gunicorn_access_log_format_reads_the_echoed_request_id_header() -> None:
    settings = load("recipes/gunicorn_conf.py")
    header = conf.REQUEST_ID_HEADER.lower()
    assert f"%({{{header}}}o)s" in settings["access_log_format"]


def test_request_id_from_the_proxy_is_echoed_in_the_response(client: Client) -> None:
    response = client.get("/record/", headers={"X-Request-ID": "edge-4f2a9c"})
    assert response["X-Request-ID"] == "edge-4f2a9c"


def test_gunicorn_settings_use_workers_and_graceful_recycling() -> None:
    settings = load("recipes/gunicorn_conf.py")
    assert settings["workers"] >= 3
    assert settings["graceful_timeout"] > 0
    assert settings["max_requests"] > settings["max_requests_jitter"]
