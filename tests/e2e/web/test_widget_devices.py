"""The widget on shared devices and phones, against the running assistant.

End chat, what a reload keeps (and forgets), the phone-size panel as a modal
driven by the keyboard alone, and a page on an origin Rasa does not trust.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import STORAGE_KEY, Chat, wcag_violations
from tests.support.socketio_standin import StandInServer

SMITH_JONES = "Smith-Jones 98101 5YJ3E1EAXPF402917"  # demo contract (README)
IDENTITY_VALUES = ("Smith-Jones", "98101", "5YJ3E1EAXPF402917")


def _stored(page: Page) -> str | None:
    return page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')")


def _verify(chat: Chat) -> None:
    assert any("last name" in text for text in chat.ask("what plan do I have?"))
    assert any("Feature Guard" in text for text in chat.ask(SMITH_JONES))


def test_end_chat_forgets_the_device_and_the_conversations_verification(page: Page):
    chat = Chat(page)
    chat.open()
    _verify(chat)
    old_token = chat.session_id()

    page.get_by_role("button", name="End chat").click()
    expect(chat.panel).to_be_hidden()
    # A new session may already be issued, with nothing in it.
    saved = json.loads(_stored(page) or "{}")
    assert saved["history"] == [] and saved["sessionToken"] != old_token
    assert page.locator(".ally-aw-msg").count() == 0
    chat.launcher.click()
    expect(page.locator(".ally-aw-note")).to_have_text("Chat ended. Nothing from it is kept on this device.")
    chat.wait_for_reply(0)  # a new conversation: the greeting again, under a new token
    assert chat.session_id() != old_token

    # A copy of the old token (a shared computer) continues a conversation that is verified no more.
    page.evaluate(
        f"t => localStorage.setItem('{STORAGE_KEY}',"
        " JSON.stringify({sessionToken: t, history: [], lastActive: Date.now()}))",
        old_token,
    )
    page.reload()
    chat = Chat(page)
    chat.open()
    assert chat.session_id() == old_token
    reply = chat.ask("what plan do I have?")
    assert any("last name" in text for text in reply) and not any("Feature Guard" in t for t in reply)


def test_a_reload_restores_the_panel_and_disables_earlier_buttons_keeping_no_identity(page: Page):
    chat = Chat(page)
    chat.open()
    greeting_buttons = page.locator(".ally-aw-msg--bot").first.locator(".ally-aw-choice")
    expect(greeting_buttons.first).to_be_enabled()
    _verify(chat)
    expect(greeting_buttons.first).to_be_disabled()
    stored = _stored(page) or ""
    assert not any(value.casefold() in stored.casefold() for value in IDENTITY_VALUES)

    page.reload()
    chat = Chat(page)
    expect(chat.panel).to_be_visible()  # it was open
    expect(chat.launcher).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".ally-aw-msg--bot").first.locator(".ally-aw-choice").first).to_be_disabled()
    assert chat.user_texts() == ["Your message (not kept on this device)"] * 2
    page.get_by_role("button", name="Close chat").click()
    page.reload()
    expect(Chat(page).launcher).to_have_attribute("aria-expanded", "false")
    expect(Chat(page).panel).to_be_hidden()


def test_stored_history_expires_after_30_minutes_idle(page: Page):
    chat = Chat(page)
    chat.open()
    chat.ask("how do I cancel")
    saved = json.loads(_stored(page) or "{}")
    assert saved["history"] and saved["sessionToken"]
    saved["lastActive"] -= 31 * 60 * 1000
    page.evaluate(f"s => localStorage.setItem('{STORAGE_KEY}', s)", json.dumps(saved))

    page.reload()
    chat = Chat(page)
    expect(chat.launcher).to_be_visible()
    expect(chat.panel).to_be_hidden()
    assert _stored(page) is None
    chat.open()  # a new conversation: the greeting again, under a new token
    assert chat.session_id() != saved["sessionToken"]


def test_a_phone_sized_panel_is_a_modal_driven_by_the_keyboard_alone(browser: Browser, web_url: str):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(web_url + "/")
        chat = Chat(page)
        for _ in range(60):  # Tab through the page until the launcher has focus
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('ally-aw-launcher')"):
                break
        else:
            pytest.fail("Tab never reached the chat launcher")
        page.keyboard.press("Enter")
        expect(chat.panel).to_have_attribute("aria-modal", "true")
        expect(chat.input).to_be_focused()
        chat.wait_for_reply(0)
        assert page.evaluate("document.querySelector('main').inert") is True
        in_panel = 0
        for _ in range(12):  # Tab goes round the panel (and the browser's own controls), never the page
            page.keyboard.press("Tab")
            assert page.evaluate("!document.activeElement.closest('body > :not(.ally-aw)')")
            in_panel += page.evaluate("!!document.activeElement.closest('.ally-aw-panel')")
        assert in_panel >= 10
        chat.input.focus()
        before = len(chat.bot_texts())
        page.keyboard.type("how do I cancel")
        page.keyboard.press("Enter")
        assert chat.wait_for_reply(before)
        assert wcag_violations(page) == []
        page.keyboard.press("Escape")
        expect(chat.panel).to_be_hidden()
        expect(chat.launcher).to_be_focused()
        assert page.evaluate("document.querySelector('main').inert") is False
    finally:
        context.close()


def test_a_page_on_an_untrusted_origin_says_it_cannot_connect(browser: Browser, stack, web_url: str):
    """Rasa takes sockets only from CORS_ORIGINS: the widget must say so, with the numbers."""
    host = StandInServer(web_url + "/widget.js", rasa_url=stack.rasa_url)
    host.start()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(host.url)  # 127.0.0.1 on another port: not the web app's origin
        chat = Chat(page)
        chat.launcher.click()
        expect(chat.status).to_have_text(re.compile("Can't reach the assistant"), timeout=10_000)
        expect(page.get_by_role("alert")).to_contain_text("911")
        expect(page.locator(".ally-aw-typing")).to_be_hidden()
        assert wcag_violations(page) == []
    finally:
        context.close()
        host.stop()
        host.close()
