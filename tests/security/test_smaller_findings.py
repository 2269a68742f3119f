"""Finding 7: metrics on the public port, framing by any site, python-socketio's DoS advisory."""

from __future__ import annotations

from importlib.metadata import version

import pytest
import requests
from packaging.version import Version
from playwright.sync_api import Browser

from tests.support.security_stack import SETTINGS
from tests.support.stack import RunningStack


def test_metrics_need_the_metrics_token(stack: RunningStack) -> None:
    for url in (f"{stack.rasa_url}/webhooks/metrics/", f"{stack.action_url}/metrics"):
        assert requests.get(url, timeout=30).status_code == 401
        wrong = requests.get(url, headers={"Authorization": "Bearer guess"}, timeout=30)
        assert wrong.status_code == 401
        right = requests.get(
            url, headers={"Authorization": f"Bearer {SETTINGS['METRICS_TOKEN']}"}, timeout=30
        )
        assert right.status_code == 200 and "assistant_" in right.text


@pytest.mark.parametrize("path", ["/", "/faq"])
def test_pages_with_the_widget_refuse_to_be_framed_by_another_site(
    stack: RunningStack, browser: Browser, path: str
) -> None:
    headers = requests.get(stack.web_url + path, timeout=30).headers
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    other_site = stack.web_url.replace("127.0.0.1", "localhost")  # another origin, same server
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(other_site + "/health")
        page.set_content(
            f'<iframe title="framed" src="{stack.web_url}{path}" width="800" height="600"></iframe>'
        )
        page.wait_for_timeout(2000)
        framed = page.frames[1]
        assert framed.locator(".ally-aw-launcher").count() == 0  # Chromium blocked it: no widget to click
    finally:
        context.close()


def test_python_socketio_has_the_denial_of_service_fix() -> None:
    """CVE-2026-48804 (GHSA-5w7q-77mv-v69f): binary attachments held forever; fixed in 5.16.2."""
    assert Version(version("python-socketio")) >= Version("5.16.2")
