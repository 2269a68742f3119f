"""Finding 4: personal data lingered (3,000 copies of VINs and names in the tracker
store, the widget's history in localStorage, a payload's raw text in a log).

Identity values are planted through every channel — REST, socket.io, SMS and
the widget in Chromium — in verifications that succeed and fail and in a
malformed typed payload; then the tracker store's files, the stack's log (every
process) and the widget's storage are searched for them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser

from tests.support.browser import Chat
from tests.support.clients import Rest, Sms, Socket, new_sender
from tests.support.stack import RunningStack
from tests.support.trackers import user_events

# (last name, ZIP, VIN): demo contracts, so the checks succeed, and values no contract has.
REST_OWNER = ("Sampleton", "30303", "3VWC57BU5MM011549")
SOCKET_OWNER = ("Fakename", "97201", "4S4BTANC7M3207641")
SMS_OWNER = ("Demoford", "85004", "4T1C11AK9RU219573")
WIDGET_OWNER = ("Exampleby", "10001", "1G1ZD5ST9KF120386")
STRANGER = ("Quimbyson", "66212", "1HGCM82633A004352")
PLANTED = [REST_OWNER, SOCKET_OWNER, SMS_OWNER, WIDGET_OWNER, STRANGER]


def found(text: str, value: str) -> bool:
    """``value`` as a whole word (a ZIP's digits may sit inside a timestamp), in any case."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text, re.IGNORECASE) is not None


def plant_over_rest(rest: Rest) -> None:
    sender, ip = new_sender(), "10.6.0.1"
    rest.say(sender, "look up my contract", ip)
    rest.say(sender, f"my last name is {REST_OWNER[0]}", ip)
    rest.say(sender, f"zip {REST_OWNER[1]}", ip)
    assert "I found your contract" in rest.say(sender, f"the VIN is {REST_OWNER[2]}", ip)
    other = new_sender()
    rest.say(other, "look up my contract", ip)
    assert "couldn't match" in rest.say(other, " ".join(STRANGER), ip)
    # A malformed payload: Rasa once logged its raw text in a warning.
    rest.say(new_sender(), f"/{STRANGER[0]} {STRANGER[1]} {STRANGER[2]}", ip)
    rest.say(
        new_sender(), "/lookup_contract" + json.dumps({"last_name": STRANGER[0]}) + " " + STRANGER[0], ip
    )


def plant_over_socket_io(stack: RunningStack) -> None:
    socket = Socket(stack.rasa_url, client_ip="10.6.0.2")
    try:
        socket.request_session()
        socket.send("what plan do I have?")
        assert "Major Guard" in socket.send(" ".join(SOCKET_OWNER))
    finally:
        socket.close()


def plant_over_sms(sms: Sms) -> None:
    phone = sms.new_phone()
    sms.text(phone, "look up my contract")
    sms.text(phone, SMS_OWNER[0])
    sms.text(phone, SMS_OWNER[1])
    assert "I found your contract" in sms.text(phone, SMS_OWNER[2].lower())


def plant_in_the_widget(browser: Browser, web_url: str) -> str:
    """The customer types their details in the widget; returns what the page keeps in storage."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(web_url + "/")
        chat = Chat(page)
        chat.open()
        chat.ask("look up my contract")
        chat.ask(WIDGET_OWNER[0])
        chat.ask(WIDGET_OWNER[1])
        assert any("I found your contract" in text for text in chat.ask(WIDGET_OWNER[2]))
        page.reload()  # what survives a reload is what was stored
        return page.evaluate("JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
    finally:
        context.close()


def test_no_identity_value_lingers_anywhere(
    stack: RunningStack, rest: Rest, sms: Sms, browser: Browser
) -> None:
    plant_over_rest(rest)
    plant_over_socket_io(stack)
    plant_over_sms(sms)
    storage = plant_in_the_widget(browser, stack.web_url)

    places = {
        **{path.name: path.read_bytes().decode("utf-8", "replace") for path in stack.tracker_files()},
        "stack log": stack.log_file.read_text(encoding="utf-8", errors="replace"),
        "widget storage": storage,
    }
    assert "trackers.db" in places and len(places["stack log"]) > 1000
    leaks = [
        (place, value)
        for place, text in places.items()
        for identity in PLANTED
        for value in identity
        if found(text, value)
    ]
    assert leaks == []
    # The widget still keeps the session token it needs, and the bot's side of the chat.
    assert "sessionToken" in storage and "I found your contract" in storage


def test_a_forgotten_conversation_is_erased(stack: RunningStack, rest: Rest) -> None:
    """`python -m bot privacy erase --contract` removes every conversation that verified the contract."""
    sender = new_sender()
    rest.say(sender, "look up my contract", "10.6.1.1")
    assert "I found your contract" in rest.say(sender, "Mockridge 80202 1C4RJFBGXPC604715", "10.6.1.1")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "privacy", "erase", "--contract", "APP-100109"],
        cwd=Path(__file__).resolve().parents[2],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "erased 1 conversation(s)" in done.stdout
    assert user_events(stack.folder / "trackers.db", f"rest:{sender}") == []
