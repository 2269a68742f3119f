"""A channel reads a conversation's verified contract from its stored tracker: only its own, fresh proof counts."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.domain import proof
from bot.domain.keys import Purpose, derive
from bot.rasa_server.verified import verified_contract_of
from bot.settings import settings

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  verified:
    type: bool
    initial_value: false
    mappings: [{type: custom}]
  verification:
    type: any
    mappings: [{type: custom}]
"""
)


def proof_for(contract: str, conversation: str, issued_at: float | None = None) -> str:
    return proof.issue(derive(settings().secret_key, Purpose.VERIFICATION), contract, conversation, issued_at)


def stored(conversation: str, proof_value: str) -> str | None:
    """The contract ``verified_contract_of`` finds for ``conversation`` after storing ``proof_value`` in it."""
    agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(DOMAIN))
    tracker = DialogueStateTracker.from_events(
        conversation,
        [UserUttered("hi"), SlotSet("verified", True), SlotSet("verification", proof_value)],
        DOMAIN.slots,
    )

    async def read() -> str | None:
        await agent.tracker_store.save(tracker)
        return await verified_contract_of(agent, conversation)

    return asyncio.run(read())


def test_the_conversations_own_proof_names_its_contract() -> None:
    assert stored("sms:abc", proof_for("APP-100103", "sms:abc")) == "APP-100103"


def test_a_proof_from_another_conversation_names_nothing() -> None:
    assert stored("sms:abc", proof_for("APP-100103", "socketio:someone-else")) is None


def test_a_lapsed_or_forged_proof_names_nothing() -> None:
    idle = settings().verification_idle_seconds
    assert stored("sms:abc", proof_for("APP-100103", "sms:abc", time.time() - idle - 60)) is None
    assert stored("sms:abc", "APP-100103") is None  # a slot value the client could have set


def test_an_unknown_conversation_names_nothing() -> None:
    agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(DOMAIN))
    assert asyncio.run(verified_contract_of(agent, "sms:nobody")) is None
