"""System checks for the TRACKING_* settings (djangotailoring.E001-E004)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from djangotailoring.tracking.checks import check_settings


def error_ids(**settings: Any) -> list[str]:
    with override_settings(**settings):
        return [message.id for message in check_settings() if message.id]


def test_defaults_pass() -> None:
    assert check_settings() == []


def test_valid_settings_pass() -> None:
    assert (
        error_ids(
            TRACKING_REQUEST_ID_HEADER="X-Correlation-ID",
            TRACKING_TRUSTED_PROXIES=["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"],
            TRACKING_RECORD_CLIENT_ADDRESS=False,
            TRACKING_AUTH_EVENTS=["UserLoggedIn", "UserLoginFailed"],
        )
        == []
    )


@pytest.mark.parametrize("header", ["X Request ID", "X-Request-ID\n", "", 42, "x" * 65])
def test_invalid_request_id_header_is_e001(header: object) -> None:
    assert error_ids(TRACKING_REQUEST_ID_HEADER=header) == ["djangotailoring.E001"]


@pytest.mark.parametrize("proxies", ["10.0.0.1", 10, None])
def test_trusted_proxies_that_are_not_a_list_are_e002(proxies: object) -> None:
    assert error_ids(TRACKING_TRUSTED_PROXIES=proxies) == ["djangotailoring.E002"]


def test_each_invalid_trusted_proxy_is_an_e002() -> None:
    with override_settings(TRACKING_TRUSTED_PROXIES=["10.0.0.1", "proxy.local", "300.1.1.1"]):
        messages = check_settings()
    assert [message.id for message in messages] == ["djangotailoring.E002"] * 2
    assert "'proxy.local'" in messages[0].msg


@pytest.mark.parametrize("value", ["no", 0, None])
def test_record_client_address_must_be_a_bool_e003(value: object) -> None:
    assert error_ids(TRACKING_RECORD_CLIENT_ADDRESS=value) == ["djangotailoring.E003"]


@pytest.mark.parametrize("value", ["UserLoggedIn", ["UserLoggedIn", "UserSneezed"], 1])
def test_auth_events_must_be_a_bool_or_known_names_e004(value: object) -> None:
    assert error_ids(TRACKING_AUTH_EVENTS=value) == ["djangotailoring.E004"]


# Model checks ask the database about its features (e.g. SQLite's JSON support).
@pytest.mark.django_db
def test_checks_are_registered_with_django() -> None:
    with override_settings(TRACKING_RECORD_CLIENT_ADDRESS="yes"):
        ids = [message.id for message in checks.run_checks()]
    assert "djangotailoring.E003" in ids
