"""The widget when the network or the server fails: no silent loss, never stuck.

Against the socket.io stand-in (tests/support/socketio_standin.py), stopped and
started under the real widget.js the stack serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bot.content.contacts import contacts
from tests.support.browser import Chat, wcag_violations
from tests.support.socketio_standin import StandInServer

# Deliverable 1: the status line tells the truth within 2 s.
STATUS_DEADLINE_MS = 2_000
# The widget's CONNECT_GRACE_MS (4 s) plus a reconnection attempt.
UNREACHABLE_DEADLINE_MS = 10_000
# The widget's SEND_TIMEOUT_MS (25 s) plus slack.
NOT_SENT_DEADLINE_MS = 35_000


@pytest.fixture
def stand_in(web_url: str) -> Iterator[StandInServer]:
    server = StandInServer(web_url + "/widget.js")
    server.start()
    yield server
    server.stop()
    server.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, stand_in: StandInServer) -> Page:
    page = context.new_page()
    page.goto(stand_in.url)
    return page


def _expect_status(chat: Chat, pattern: str, timeout: int = STATUS_DEADLINE_MS) -> None:
    expect(chat.status).to_have_text(re.compile(pattern), timeout=timeout)


def _expect_phone_numbers_shown(page: Page) -> None:
    help_box = page.get_by_role("alert")
    expect(help_box).to_be_visible()
    numbers = contacts()
    for number in (numbers["roadside_phone"], numbers["gap_phone"]):
        expect(help_box.get_by_role("link", name=number)).to_have_attribute(
            "href", "tel:+" + re.sub(r"\D", "", number)
        )
    expect(help_box).to_contain_text("911")
    expect(page.locator(".ally-aw-typing")).to_be_hidden()  # never "typing" beside an error


def _type(chat: Chat, text: str) -> None:
    chat.input.fill(text)
    chat.input.press("Enter")


def test_the_widget_reconnects_and_rejoins_its_session(page: Page, stand_in: StandInServer):
    chat = Chat(page)
    chat.open()  # the stand-in echoes the greeting request
    assert chat.ask("first") == ["echo: first"]
    _expect_status(chat, r"^Connected$")

    stand_in.stop()
    _expect_status(chat, r"Reconnecting")
    stand_in.start()
    _expect_status(chat, r"^Connected$", timeout=UNREACHABLE_DEADLINE_MS)

    assert chat.ask("second") == ["echo: second"]
    session = chat.session_id()
    assert stand_in.session_requests == [None, session]


def test_a_message_typed_offline_is_sent_once_back_online(page: Page, context: BrowserContext, stand_in):
    chat = Chat(page)
    chat.open()
    chat.ask("first")

    context.set_offline(True)
    _expect_status(chat, r"offline")
    _expect_phone_numbers_shown(page)
    _type(chat, "typed while offline")
    expect(page.locator(".ally-aw-msg--user").last).to_contain_text("Sending")
    assert wcag_violations(page) == []

    context.set_offline(False)
    _expect_status(chat, r"^Connected$", timeout=UNREACHABLE_DEADLINE_MS)
    expect(page.locator(".ally-aw-msg--bot .ally-aw-text").last).to_have_text("echo: typed while offline")
    expect(page.get_by_role("alert")).to_be_hidden()
    expect(page.locator(".ally-aw-state")).to_have_count(0)
    assert [r.message for r in stand_in.received].count("typed while offline") == 1


def test_offline_when_opened_it_says_so_and_starts_once_online(page: Page, context: BrowserContext):
    """The socket.io client can't even load: the widget must not stay "connecting" for ever."""
    context.set_offline(True)
    chat = Chat(page)
    chat.launcher.click()
    _expect_status(chat, r"offline")
    _expect_phone_numbers_shown(page)
    context.set_offline(False)
    _expect_status(chat, r"^Connected$", timeout=UNREACHABLE_DEADLINE_MS)
    assert chat.wait_for_reply(0) == ["echo: hello"]  # the greeting request went out after all


def test_end_chat_offline_ends_the_session_once_back_online(page: Page, context: BrowserContext, stand_in):
    chat = Chat(page)
    chat.open()
    chat.ask("first")
    token = chat.session_id()
    context.set_offline(True)
    _expect_status(chat, r"offline")
    page.get_by_role("button", name="End chat").click()
    expect(chat.panel).to_be_hidden()
    assert "stand-in-token" not in (page.evaluate("JSON.stringify(localStorage)") or "")

    context.set_offline(False)
    # Rejoined only to be ended, then a new session without a token.
    page.wait_for_function("() => document.querySelector('.ally-aw').dataset.connection === 'connected'")
    assert stand_in.ended == [token]
    assert stand_in.session_requests[-2:] == [token, None]


def test_a_lost_message_is_resent_with_its_id_and_answered_once(page: Page, stand_in: StandInServer):
    chat = Chat(page)
    chat.open()
    stand_in.swallow.add("lost on the way")
    _type(chat, "lost on the way")
    expect(page.locator(".ally-aw-msg--user").last).to_contain_text("Sending")

    stand_in.stop()  # the connection drops with the message unacknowledged
    stand_in.start()
    _expect_status(chat, r"^Connected$", timeout=UNREACHABLE_DEADLINE_MS)
    expect(page.locator(".ally-aw-msg--bot .ally-aw-text").last).to_have_text(
        re.compile("echo: lost on the way")
    )
    sent = [r for r in stand_in.received if r.message == "lost on the way"]
    assert len(sent) == 2 and sent[0].message_id == sent[1].message_id
    assert re.fullmatch(r"[0-9a-f-]{36}", sent[0].message_id or "")
    expect(page.locator(".ally-aw")).to_have_attribute("data-pending", "0")
    assert chat.bot_texts().count("echo: lost on the way") == 1


def test_a_stopped_server_says_so_shows_the_numbers_and_recovers_by_itself(page: Page, stand_in):
    chat = Chat(page)
    chat.open()
    stand_in.stop()
    _expect_status(chat, r"Reconnecting")
    _expect_status(chat, r"Can't reach the assistant", timeout=UNREACHABLE_DEADLINE_MS)
    _expect_phone_numbers_shown(page)

    _type(chat, "are you there")
    mine = page.locator(".ally-aw-msg--user").last
    expect(mine).to_contain_text("Not sent", timeout=NOT_SENT_DEADLINE_MS)
    expect(mine.get_by_role("button", name="Retry")).to_be_visible()
    assert wcag_violations(page) == []

    stand_in.start()  # the widget keeps trying: no click needed
    _expect_status(chat, r"^Connected$", timeout=UNREACHABLE_DEADLINE_MS)
    expect(page.locator(".ally-aw-msg--bot .ally-aw-text").last).to_have_text(
        re.compile("echo: are you there")
    )
    expect(mine.get_by_role("button", name="Retry")).to_have_count(0)
    expect(page.get_by_role("alert")).to_be_hidden()


def test_retry_sends_a_message_not_sent_again_with_its_id(page: Page, stand_in: StandInServer):
    chat = Chat(page)
    chat.open()
    stand_in.swallow.add("slow one")
    _type(chat, "slow one")
    mine = page.locator(".ally-aw-msg--user").last
    mine.get_by_role("button", name="Retry").click(timeout=NOT_SENT_DEADLINE_MS)
    expect(page.locator(".ally-aw-msg--bot .ally-aw-text").last).to_have_text("echo: slow one")
    sent = [r.message_id for r in stand_in.received if r.message == "slow one"]
    assert len(sent) == 2 and sent[0] == sent[1]
    expect(mine.locator(".ally-aw-state")).to_have_count(0)


def test_a_reply_while_closed_shows_an_unread_badge(page: Page, stand_in: StandInServer):
    chat = Chat(page)
    chat.open()
    stand_in.reply_delay_seconds = 1.5
    _type(chat, "answer me later")
    page.get_by_role("button", name="Close chat").click()
    expect(page.locator(".ally-aw-badge")).to_have_text("1")
    expect(chat.launcher).to_have_attribute("aria-label", "Chat with us (1 new reply)")
    chat.launcher.click()
    expect(page.locator(".ally-aw-badge")).to_be_hidden()
    expect(chat.launcher).to_have_attribute("aria-label", "Chat with us")


def test_links_timestamps_and_the_new_reply_pill(browser: Browser, stand_in: StandInServer, web_url: str):
    context = browser.new_context(viewport={"width": 320, "height": 256})  # 1280x1024 at 400 % zoom
    page = context.new_page()
    try:
        page.goto(stand_in.url)
        chat = Chat(page)
        chat.open()
        gap = contacts()["gap_phone"]
        chat.ask(f"See https://example.com/terms. Or call {gap}, or the Help Center. " + "More words. " * 30)
        reply = page.locator(".ally-aw-msg--bot").last
        expect(reply.get_by_role("link", name="https://example.com/terms")).to_have_attribute(
            "href", "https://example.com/terms"
        )
        expect(reply.get_by_role("link", name=gap)).to_have_attribute(
            "href", "tel:+" + re.sub(r"\D", "", gap)
        )
        expect(reply.get_by_role("link", name="Help Center")).to_have_attribute("href", web_url + "/faq")
        assert page.locator(".ally-aw-msg time[datetime]").count() == page.locator(".ally-aw-msg").count()

        # The question stays in view, so the long reply's end is below: the pill says so.
        pill = page.get_by_role("button", name="New reply")
        expect(pill).to_be_visible()
        pill.click()
        expect(pill).to_be_hidden()
        assert (
            page.evaluate(
                "(() => { const l = document.querySelector('.ally-aw-log');"
                " return l.scrollHeight - l.scrollTop - l.clientHeight; })()"
            )
            < 24
        )
        # At 400 % zoom the conversation keeps most of the screen.
        assert page.locator(".ally-aw-log").bounding_box()["height"] >= 120
        assert wcag_violations(page) == []
    finally:
        context.close()
