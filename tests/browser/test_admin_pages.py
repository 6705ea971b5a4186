"""The admin pages in a real browser: Debian's headless Chromium, driven by Selenium.

The test logs in, opens the change list (the chart counts the events of each day), an
object's timeline from the object's own page, a user's timeline from the change list, and an
event's page, checks that no page scrolls sideways at 1280 px, and saves the screenshots the
documentation shows. They go to a temporary folder; to refresh the committed ones run
``DJANGOTAILORING_SCREENSHOTS=docs/images python -m pytest tests/browser``.

Without Chromium, chromedriver or Selenium the test skips, except in CI
(``DJANGOTAILORING_TEST_DB_REQUIRED=1``), where that is a failure.
"""

from __future__ import annotations

import datetime
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from djangotailoring.tracking import create_events
from djangotailoring.tracking.models import Event
from tests.browser.chromium import chromium, fits, follow
from tests.testapp.models import IntTarget

PASSWORD = "browser-test-password"
WIDTH = 1280
NAMES = ["PageViewed", "UserConsented", "ReportExported", "UserLoggedIn"]
TODAY = datetime.datetime.now(datetime.timezone.utc).replace(
    hour=9, minute=0, second=0, microsecond=0
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium(WIDTH)


@pytest.fixture
def admin_server(transactional_db: None) -> Iterator[str]:
    """The test project served with its static files (the admin's CSS and ours)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait(timeout=30)
    if thread.error:
        raise thread.error
    try:
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DJANGOTAILORING_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def seed() -> tuple[User, IntTarget]:
    """Events over the last 14 days: a study's, two participants', with known day counts."""
    User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    study = IntTarget.objects.create(label="pilot study")
    other = IntTarget.objects.create(label="follow-up study")
    items = []
    for day in range(14):
        for n in range((day * 7) % 11 + 2):
            items.append(
                {
                    "name": NAMES[(day + n) % len(NAMES)],
                    "user": alice if n % 3 else bob,
                    "related_object": study if n % 2 else other,
                    "note": f"/studies/{n % 5}/" + "a-rather-long-path-segment/" * (n % 4),
                    "timestamp": TODAY - datetime.timedelta(days=day, minutes=7 * n),
                    "data": {"terms": day % 3, "source": "browser test"},
                }
            )
    create_events(items)
    return alice, study


def chart_counts(driver: Any) -> dict[datetime.date, int]:
    from selenium.webdriver.common.by import By

    bars = driver.find_elements(By.CSS_SELECTOR, "svg.tracking-chart rect.bar")
    counts = {}
    for bar in bars:
        count = int(bar.get_attribute("data-count"))
        if count:
            counts[datetime.date.fromisoformat(bar.get_attribute("data-bucket")[:10])] = count
    return counts


def shoot(driver: Any, folder: Path, name: str, *, height: int | None = None) -> None:
    """Save the page as ``name.png``: ``height`` pixels of it, or all of it up to 1,400."""
    if height is None:
        full = int(driver.execute_script("return document.documentElement.scrollHeight"))
        height = min(max(full + 120, 700), 1400)
    driver.set_window_size(WIDTH, height)
    driver.save_screenshot(str(folder / f"{name}.png"))
    driver.set_window_size(WIDTH, 900)


def test_admin_pages_show_the_right_counts_and_fit_1280px(
    browser: Any, admin_server: str, screenshots: Path
) -> None:
    from selenium.webdriver.common.by import By

    alice, study = seed()
    browser.get(f"{admin_server}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))
    browser.find_element(By.ID, "user-tools")
    logged_in = Counter(event.timestamp.date() for event in Event.objects.all())

    browser.get(f"{admin_server}/admin/tracking/event/")
    assert chart_counts(browser) == dict(logged_in)
    assert fits(browser)
    shoot(browser, screenshots, "admin-changelist", height=820)

    browser.get(f"{admin_server}/admin/tracking/event/?name=UserConsented")
    consented = Counter(e.timestamp.date() for e in Event.objects.named("UserConsented"))
    assert chart_counts(browser) == dict(consented)

    browser.get(f"{admin_server}/admin/testapp/inttarget/{study.pk}/change/")
    assert fits(browser)
    shoot(browser, screenshots, "admin-object-inline", height=900)
    follow(browser, browser.find_element(By.LINK_TEXT, "Timeline"))
    study_events = Event.objects.related_to(study)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".tracking-event")) == study_events.count()
    assert chart_counts(browser) == dict(Counter(e.timestamp.date() for e in study_events))
    assert fits(browser)
    shoot(browser, screenshots, "admin-object-timeline")

    browser.get(f"{admin_server}/admin/tracking/event/")
    follow(browser, browser.find_element(By.LINK_TEXT, "alice"))
    alices = Event.objects.for_user(alice)
    assert "Timeline of user" in browser.title or "alice" in browser.page_source
    assert len(browser.find_elements(By.CSS_SELECTOR, ".tracking-event")) == alices.count()
    assert chart_counts(browser) == dict(Counter(e.timestamp.date() for e in alices))
    shoot(browser, screenshots, "admin-user-timeline")

    event = Event.objects.related_to(study).first()
    assert event is not None
    browser.get(f"{admin_server}/admin/tracking/event/{event.pk}/change/")
    data = browser.find_element(By.CSS_SELECTOR, "pre.tracking-data").text
    assert '"source": "browser test"' in data
    assert fits(browser)
    shoot(browser, screenshots, "admin-event")
    assert sorted(path.name for path in screenshots.glob("*.png")) == [
        "admin-changelist.png",
        "admin-event.png",
        "admin-object-inline.png",
        "admin-object-timeline.png",
        "admin-user-timeline.png",
    ]
