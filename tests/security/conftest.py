"""One stack for the attacks of issue 10 (docs/security.md), started as `make run` starts it,
with the settings of tests/support/security_stack.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.browser import launch
from tests.support.clients import Rest, Sms
from tests.support.ports import ports
from tests.support.security_stack import SETTINGS
from tests.support.stack import RunningStack, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    folder = tmp_path_factory.mktemp("security-stack")
    with running_stack(
        folder, ports(RASA_PORT=15105, ACTION_PORT=15155, WEB_PORT=18180), SETTINGS
    ) as running:
        yield running


@pytest.fixture(scope="session")
def rest(stack: RunningStack) -> Rest:
    return Rest(stack.rest_url)


@pytest.fixture(scope="session")
def sms(stack: RunningStack) -> Sms:
    return Sms(stack.rasa_url, SETTINGS["TWILIO_AUTH_TOKEN"])


# Module scope: Playwright's sync API keeps an event loop running while it is open
# (as in tests/e2e/web/conftest.py).
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
