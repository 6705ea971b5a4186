"""Fixtures of the documentation tests: the site built once, recipes' LOGGING applied."""

from __future__ import annotations

import copy
import logging
import logging.config
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from djangotailoring.handlers import EventHandler
from tests.docs.docfiles import DocsBuild, build_docs
from tests.testapp.models import IntTarget

ApplyLogging = Callable[[dict[str, Any]], list[EventHandler]]


@pytest.fixture(scope="session")
def docs_build(tmp_path_factory: pytest.TempPathFactory) -> DocsBuild:
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    return build_docs(tmp_path_factory.mktemp("docs"))


def _event_handlers() -> list[EventHandler]:
    loggers = [logging.root, *logging.root.manager.loggerDict.values()]
    found = {
        id(handler): handler
        for logger in loggers
        for handler in getattr(logger, "handlers", ())
        if isinstance(handler, EventHandler)
    }
    return list(found.values())


@pytest.fixture
def apply_logging(transactional_db: None, tmp_path: Path) -> Iterator[ApplyLogging]:
    """``dictConfig`` a recipe's ``LOGGING`` with its spill files in ``tmp_path``.

    Returns the EventHandlers it made; they are closed after the test, before the database
    is flushed (hence ``transactional_db`` first: they write on connections of their own).
    """
    made: list[EventHandler] = []

    def apply(config: dict[str, Any]) -> list[EventHandler]:
        config = copy.deepcopy(config)
        for name, handler in config.get("handlers", {}).items():
            if handler.get("class") == "djangotailoring.handlers.EventHandler":
                handler["spill_path"] = str(tmp_path / f"{name}-spill.jsonl")
        logging.config.dictConfig(config)
        made.extend(_event_handlers())
        return _event_handlers()

    yield apply
    for handler in made:
        handler.close()


@pytest.fixture
def alice(transactional_db: None, client: Client) -> User:
    """A user logged in with the test ``client``."""
    user = User.objects.create_user("alice")
    client.force_login(user)
    return user


@pytest.fixture
def study(transactional_db: None) -> IntTarget:
    """The object the documented views relate their events to."""
    return IntTarget.objects.create(label="pilot")
