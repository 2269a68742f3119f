"""Finding 3: a conversation id was a bearer token, and a verification never expired.

Conversation ids carry their channel; a widget session is named by a token
the server signs, so a known id joins nothing and writes nowhere; a socket
writes only to the session it requested; a verification lapses after
VERIFICATION_IDLE_SECONDS (20 s in this stack) and with every new session.
"""

from __future__ import annotations

import time

from tests.support.clients import Rest, Socket, new_sender
from tests.support.security_stack import SETTINGS, socket_conversation
from tests.support.stack import RunningStack
from tests.support.trackers import user_events

OWNER = ("Smith-Jones", "98101", "5YJ3E1EAXPF402917")  # APP-100103, Feature Guard
PLAN = "Feature Guard"
NOT_VALID = "This chat session isn't valid"


def verified_socket(stack: RunningStack, client_ip: str) -> tuple[Socket, str]:
    victim = Socket(stack.rasa_url, client_ip=client_ip)
    token = victim.request_session()
    victim.send("look up my contract")
    assert "I found your contract" in victim.send(" ".join(OWNER))
    return victim, token


def test_knowing_a_widget_conversation_id_joins_nothing_and_reads_nothing(
    stack: RunningStack, rest: Rest
) -> None:
    victim, token = verified_socket(stack, "10.5.0.1")
    session = socket_conversation(token).removeprefix("socketio:")
    attacker = Socket(stack.rasa_url, client_ip="10.5.0.2")
    try:
        # The session id (as Rasa's own widget protocol sends it) is not a token: a new session.
        assert attacker.request_session(session) != token
        victim_reply = victim.send("what plan do I have?")
        assert PLAN in victim_reply
        attacker.client.sleep(1)
        assert all(PLAN not in text for text in attacker.received)
        # The REST channel does not reach socket.io conversations either.
        for sender in (session, f"socketio:{session}"):
            assert PLAN not in rest.say(sender, "what plan do I have?", "10.5.0.3")
    finally:
        victim.close()
        attacker.close()


def test_a_socket_writes_only_to_the_session_it_requested(stack: RunningStack) -> None:
    victim, token = verified_socket(stack, "10.5.1.1")
    attacker = Socket(stack.rasa_url, client_ip="10.5.1.2")
    try:
        attacker.request_session()
        for claimed in (token, socket_conversation(token).removeprefix("socketio:")):
            refused = attacker.send("what plan do I have?", session_id=claimed)
            assert NOT_VALID in refused and PLAN not in refused
        texts = [e["text"] for e in user_events(stack.folder / "trackers.db", socket_conversation(token))]
        assert "what plan do I have?" not in texts
    finally:
        victim.close()
        attacker.close()


def test_a_verification_lapses_when_idle(rest: Rest) -> None:
    sender, ip = new_sender(), "10.5.2.1"
    rest.say(sender, "what plan do I have?", ip)
    assert PLAN in rest.say(sender, " ".join(OWNER), ip)
    time.sleep(float(SETTINGS["VERIFICATION_IDLE_SECONDS"]) + 1)
    again = rest.say(sender, "what plan do I have?", ip)
    assert PLAN not in again and "check your details again" in again and "last name" in again
    assert PLAN in rest.say(sender, " ".join(OWNER), ip)
