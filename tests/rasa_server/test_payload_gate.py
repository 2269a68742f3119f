"""Which payloads the last bot turn offered (bot/rasa_server/payload_gate.py).

The gate itself, on the running stack: tests/security/test_typed_payloads.py.
"""

from __future__ import annotations

from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server.payload_gate import offered_payloads

ROOT = Path(__file__).resolve().parents[2]
OFFER = [
    {"title": "Yes, check my contract", "payload": "/lookup_contract"},
    {"title": "No", "payload": "/deny"},
]


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "rest:gate", list(events), Domain.load(str(ROOT / "domain.yml")).slots
    )


def test_the_buttons_of_the_last_bot_turn_are_offered() -> None:
    t = tracker(
        UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        BotUttered("Hello", {"buttons": [{"title": "Rental", "payload": "/ask_rental"}]}),
        UserUttered("is my rental covered", {"name": "ask_rental", "confidence": 1.0}),
        BotUttered("The page's answer"),
        BotUttered("Want me to check?", {"buttons": OFFER}),
        ActionExecuted("action_listen"),
    )
    assert offered_payloads(t) == {"/lookup_contract", "/deny"}  # not the greeting's, any more


def test_nothing_is_offered_before_the_bot_speaks_or_after_a_new_session() -> None:
    assert offered_payloads(tracker()) == set()
    t = tracker(
        BotUttered("Want me to check?", {"buttons": OFFER}), SessionStarted(), ActionExecuted("action_listen")
    )
    assert offered_payloads(t) == set()


def test_quick_replies_count_and_odd_buttons_are_ignored() -> None:
    t = tracker(
        BotUttered("Pick", {"quick_replies": [{"payload": "/affirm"}, {"title": "no payload"}, "junk"]})
    )
    assert offered_payloads(t) == {"/affirm"}
