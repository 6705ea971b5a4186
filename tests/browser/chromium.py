"""Debian's Chromium, headless, driven through its chromedriver by Selenium (no download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


def _missing(what: str) -> None:
    if os.environ.get("DJANGOTAILORING_TEST_DB_REQUIRED") == "1":
        pytest.fail(f"{what} is required in CI (.ci/run installs it)")
    pytest.skip(f"{what} is not installed")


def chromium(width: int, height: int = 900) -> Iterator[Any]:
    """Yield a Selenium driver of the system's Chromium; skip (or fail in CI) without it."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium (the test extra)")
    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver_path is None:
        _missing("Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(browser)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def follow(driver: Any, element: Any, timeout: float = 60) -> None:
    """Click ``element`` and wait until the page it leads to has loaded.

    A click returns as soon as the browser has the event, not when the next page is there:
    reading the page straight after it reads the old one, or finds nothing, whenever the
    server is slow to answer (a login's password hashing on a loaded machine).
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    waiting = WebDriverWait(driver, timeout)
    waiting.until(expected_conditions.staleness_of(page))
    waiting.until(lambda d: d.execute_script("return document.readyState") == "complete")


def fits(driver: Any) -> bool:
    """Whether the page has no sideways scrolling, nor any code block that scrolls."""
    return bool(
        driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth && "
            "[...document.querySelectorAll('pre')].every(p => p.scrollWidth <= p.clientWidth)"
        )
    )
