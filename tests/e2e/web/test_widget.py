"""The chat widget in Chromium against the running assistant."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.content.contacts import contacts
from bot.content.faq import load_responses, response_text
from bot.content.messages import render
from bot.content.topics import BY_INTENT
from tests.support.browser import Chat, wcag_violations


def _socket_frames(page: Page) -> list[list]:
    """socket.io events the page sends, decoded, collected as they happen."""
    sent: list[list] = []

    def on_frame(payload: str | bytes) -> None:
        event = re.match(r"42\d*(\[.*)", str(payload), re.S)  # 42, an ack id when one is asked for, the event
        if event:
            sent.append(json.loads(event.group(1)))

    def on_socket(ws) -> None:
        ws.on("framesent", on_frame)

    page.on("websocket", on_socket)
    return sent


def test_two_questions_then_a_reload_continues_the_same_conversation(page: Page):
    frames = _socket_frames(page)
    chat = Chat(page)
    chat.open()
    rental = chat.ask("is my rental covered?")
    assert any("Basic Guard" in text for text in rental)
    cancel = chat.ask("how do I cancel")
    assert any(contacts()["cancel_phone"] in text for text in cancel)
    session = chat.session_id()
    history = chat.bot_texts()

    page.reload()
    chat = Chat(page)
    expect(chat.panel).to_be_visible()  # it was open: it opens again
    # The history is back (what the customer typed is not stored, so not shown), and the
    # conversation goes on under the same session token.
    assert chat.bot_texts() == history
    assert chat.user_texts() == ["Your message (not kept on this device)"] * 2
    # The bot's last turn offered to check the contract: the answer to it continues that turn.
    assert history[-1] == render("offer_lookup")["text"]
    assert chat.ask("Smith-Jones") == [render("ask_zip_code")["text"]]
    assert chat.session_id() == session
    requested = [data.get("session_id") for name, data in frames if name == "session_request"]
    uttered = [data for name, data in frames if name == "user_uttered"]
    assert requested == [None, session] and {data["session_id"] for data in uttered} == {session}
    # Every message carried its own id (a resend would repeat one).
    ids = [data["message_id"] for data in uttered]
    assert len(set(ids)) == len(ids) == 4  # the greeting's "hello" and three questions


def test_the_widget_works_with_the_keyboard_alone(page: Page):
    chat = Chat(page)
    for _ in range(40):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('ally-aw-launcher')"):
            break
    else:
        pytest.fail("Tab never reached the chat launcher")
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(chat.panel).to_be_visible()
    expect(chat.launcher).to_have_attribute("aria-expanded", "true")
    expect(chat.input).to_be_focused()
    chat.wait_for_reply(0)  # the greeting
    before = len(chat.bot_texts())
    page.keyboard.type("how do I cancel")
    page.keyboard.press("Enter")
    assert any(contacts()["cancel_phone"] in text for text in chat.wait_for_reply(before))
    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(chat.launcher).to_be_focused()
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")


def test_a_button_sends_its_payload_and_shows_its_title(page: Page):
    chat = Chat(page)
    chat.open()
    first = page.locator(".ally-aw-choice").first
    title = first.text_content()
    greet_buttons = load_responses()["utter_greet"][0]["buttons"]
    assert [b["title"] for b in greet_buttons] == page.locator(".ally-aw-choice").all_text_contents()
    before = len(chat.bot_texts())
    first.click()
    reply = chat.wait_for_reply(before)
    assert chat.user_texts() == [title]
    intent = greet_buttons[0]["payload"].lstrip("/")
    assert reply[0] == response_text(load_responses(), BY_INTENT[intent].response, contacts())


def test_messages_are_text_never_html(page: Page):
    chat = Chat(page)
    chat.open()
    chat.ask('<img src=x onerror="document.body.dataset.pwned=1"> <b>bold</b>')
    assert page.locator(".ally-aw-log img, .ally-aw-log b").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
    assert chat.user_texts()[-1].startswith("<img src=x")


def test_no_wcag_violation_with_the_widget_open(page: Page):
    chat = Chat(page)
    chat.open()
    chat.ask("is my rental covered?")
    assert wcag_violations(page) == []


def test_on_a_phone_the_panel_fills_the_screen(browser: Browser, web_url: str):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(web_url + "/")
        chat = Chat(page)
        # Closed, the launcher is a round icon button: it hides little of the page.
        launcher = chat.launcher.bounding_box()
        assert launcher is not None and launcher["width"] <= 56 and launcher["height"] <= 56
        expect(chat.launcher).to_have_accessible_name("Chat with us")
        chat.open()
        box = chat.panel.bounding_box()
        assert box is not None
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 812)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
        assert any(contacts()["cancel_phone"] in text for text in chat.ask("how do I cancel"))
        assert wcag_violations(page) == []
        page.get_by_role("button", name="Close chat").click()
        expect(chat.panel).to_be_hidden()
        expect(chat.launcher).to_be_visible()
    finally:
        context.close()
