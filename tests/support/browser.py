"""Headless Chromium and a chat driver, for the screenshots and the browser tests.

Playwright cannot download its own browser here, so it drives Debian's
chromium (scripts/ci_system_deps.sh installs it).
"""

from __future__ import annotations

import os

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# No sandbox: CI runs as root. The rest keeps a shared 2-core machine quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
REPLY_TIMEOUT_MS = 30_000
# axe-core's rules for WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
STORAGE_KEY = "ally-assistant:v3"  # as in static/widget.js


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wcag_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now (axe runs offline, bundled)."""
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    ]


class Chat:
    """Drives the widget the way a person does: click, type, read."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator(".ally-aw-launcher")
        self.panel = page.get_by_role("dialog", name="Ally Premier Protection assistant")
        self.input = page.get_by_label("Your message")
        self.status = page.locator(".ally-aw-status")

    def open(self) -> list[str]:
        """Open the panel; a new conversation starts with the bot's greeting, returned."""
        before = len(self.bot_texts())
        self.launcher.click()
        self.panel.wait_for(state="visible")
        return self.wait_for_reply(0) if before == 0 else []

    def ask(self, question: str) -> list[str]:
        before = len(self.bot_texts())
        self.input.fill(question)
        self.input.press("Enter")
        return self.wait_for_reply(before)

    def wait_for_reply(self, bot_messages_before: int) -> list[str]:
        """The bot messages after the first ``bot_messages_before``, once every message is acknowledged.

        The server acknowledges a message after its whole reply (bot/rasa_server/channels.py).
        """
        self.page.wait_for_function(
            """n => document.querySelectorAll('.ally-aw-msg--bot').length > n
                   && document.querySelector('.ally-aw').dataset.pending === '0'
                   && document.querySelector('.ally-aw-typing').hidden""",
            arg=bot_messages_before,
            timeout=REPLY_TIMEOUT_MS,
        )
        return self.bot_texts()[bot_messages_before:]

    def bot_texts(self) -> list[str]:
        return self.page.locator(".ally-aw-msg--bot .ally-aw-text").all_text_contents()

    def user_texts(self) -> list[str]:
        return self.page.locator(".ally-aw-msg--user .ally-aw-text").all_text_contents()

    def session_id(self) -> str:
        """The session token the server issued, as the widget keeps it."""
        return self.page.evaluate(f"JSON.parse(localStorage.getItem('{STORAGE_KEY}')).sessionToken")
