"""Finding 2: customers could type intent payloads (`/lookup_contract{...}`, `/restart`).

A message starting with "/" is now plain text for the NLU on every channel,
unless it is exactly the payload of a button the bot offered in its last turn
(bot/rasa_server/payload_gate.py). Seen in the tracker store: a payload is
ranked against one intent, plain text against all of them.
"""

from __future__ import annotations

import json

import pytest

from bot.rasa_server.tracker_privacy import TYPED_PAYLOAD
from tests.support.clients import Rest, Sms, Socket, new_sender
from tests.support.security_stack import sms_conversation, socket_conversation
from tests.support.stack import RunningStack
from tests.support.trackers import read_as_payload, user_events

FORM_FILLER = "/lookup_contract" + json.dumps(
    {"last_name": "Sampleton", "zip_code": "30303", "vin": "3VWC57BU5MM011549"}
)


def latest_user_event(stack: RunningStack, conversation_id: str) -> dict:
    return user_events(stack.folder / "trackers.db", conversation_id)[-1]


@pytest.mark.parametrize("typed", [FORM_FILLER, "/restart", "/back", "/session_start", "/ask_my_plan"])
def test_rest_reads_typed_payloads_as_text(stack: RunningStack, rest: Rest, typed: str) -> None:
    sender = new_sender()
    rest.say(sender, typed, "10.4.0.1")
    assert not read_as_payload(latest_user_event(stack, f"rest:{sender}"))


def test_socket_io_reads_typed_payloads_as_text(stack: RunningStack) -> None:
    socket = Socket(stack.rasa_url, client_ip="10.4.0.2")
    try:
        token = socket.request_session()
        socket.send(FORM_FILLER)
    finally:
        socket.close()
    assert not read_as_payload(latest_user_event(stack, socket_conversation(token)))


def test_sms_reads_a_slash_hidden_behind_a_slash_as_text(stack: RunningStack, sms: Sms) -> None:
    phone = sms.new_phone()
    sms.text(phone, "/ " + FORM_FILLER)
    event = latest_user_event(stack, sms_conversation(phone))
    assert not read_as_payload(event)
    assert event["text"] == TYPED_PAYLOAD  # and not kept (bot/rasa_server/tracker_privacy.py)


def test_the_button_just_offered_still_works(stack: RunningStack, rest: Rest) -> None:
    sender = new_sender()
    offer = rest.say(sender, "is my rental covered?", "10.4.0.3")
    assert "Want me to check your own contract?" in offer  # buttons: /lookup_contract, /deny
    assert "last name" in rest.say(sender, "/lookup_contract", "10.4.0.3")
    assert read_as_payload(latest_user_event(stack, f"rest:{sender}"))
    # Offered once, for that turn only: typed again later it is text.
    rest.say(sender, "Sampleton", "10.4.0.3")
    rest.say(sender, "/lookup_contract", "10.4.0.3")
    assert not read_as_payload(latest_user_event(stack, f"rest:{sender}"))
