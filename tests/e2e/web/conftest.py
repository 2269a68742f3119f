"""Browser fixtures for the widget and FAQ tests (the stack comes from ../conftest.py)."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import launch


# Module scope: Playwright's sync API keeps an event loop running in the main
# thread while it is open, which would stop later tests from using asyncio.run.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def web_url(stack) -> str:
    """The web app's URL once it is healthy (the stack fixture waits for Rasa only)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(stack.web_url + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return stack.web_url
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("the web app did not become healthy")
        time.sleep(0.5)


@pytest.fixture
def page(browser: Browser, web_url: str) -> Iterator[Page]:
    """The demo support page with the widget, at desktop size (a test module may define its own)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(web_url + "/")
    yield page
    context.close()
