"""Settings are read once, and again once ``settings`` holds another configuration."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from djangotailoring import conf as conf_module
from djangotailoring.conf import DEFAULTS, conf


class CountingSettings:
    """Stands in for ``django.conf.settings``: counts the lookups of each setting."""

    def __init__(self, **values: Any) -> None:
        self.values = values
        self.lookups: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        self.lookups[name] = self.lookups.get(name, 0) + 1
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingSettings:
    fake = CountingSettings(TRACKING_RECORD_CLIENT_ADDRESS=False)
    monkeypatch.setattr(conf_module, "django_settings", fake)
    monkeypatch.setattr(conf_module, "_settings_state", {"_wrapped": object()})
    yield fake
    conf.forget()


def test_a_setting_is_looked_up_once(counting: CountingSettings) -> None:
    for _ in range(5):
        assert conf.RECORD_CLIENT_ADDRESS is False
        assert conf.TRUSTED_PROXIES == []
    assert counting.lookups == {
        "TRACKING_RECORD_CLIENT_ADDRESS": 1,
        "TRACKING_TRUSTED_PROXIES": 1,
    }


def test_another_configuration_makes_it_read_again(counting: CountingSettings) -> None:
    assert conf.RECORD_CLIENT_ADDRESS is False
    counting.values["TRACKING_RECORD_CLIENT_ADDRESS"] = True
    # What override_settings does on entry and on exit.
    conf_module._settings_state["_wrapped"] = object()
    assert conf.RECORD_CLIENT_ADDRESS is True
    assert conf.RECORD_CLIENT_ADDRESS is True
    assert counting.lookups["TRACKING_RECORD_CLIENT_ADDRESS"] == 2


def test_override_settings_is_seen_on_entry_and_on_exit() -> None:
    before = conf.REQUEST_ID_HEADER
    with override_settings(TRACKING_REQUEST_ID_HEADER="X-Correlation-ID"):
        assert conf.REQUEST_ID_HEADER == "X-Correlation-ID"
        with override_settings(TRACKING_REQUEST_ID_HEADER="X-Inner"):
            assert conf.REQUEST_ID_HEADER == "X-Inner"
        assert conf.REQUEST_ID_HEADER == "X-Correlation-ID"
    assert before == conf.REQUEST_ID_HEADER


def test_pytest_django_settings_fixture_is_seen(settings: Any) -> None:
    configured = conf.JOURNAL_DIR  # read now, so remembered
    settings.TRACKING_JOURNAL_DIR = "/srv/journals"
    assert conf.JOURNAL_DIR == "/srv/journals"
    del settings.TRACKING_JOURNAL_DIR
    assert conf.JOURNAL_DIR is DEFAULTS["TRACKING_JOURNAL_DIR"]
    settings.TRACKING_JOURNAL_DIR = configured
    assert configured == conf.JOURNAL_DIR
