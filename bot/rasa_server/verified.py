"""The contract a conversation verified: its signed proof, checked wherever a channel needs it.

The actions check the proof in the tracker they are sent (actions/common.py);
a channel that takes a document outside a turn (an MMS picture, the widget's
upload) reads the conversation's stored tracker instead. Either way the proof
is the action server's signature over the contract and the conversation id,
and lapses after VERIFICATION_IDLE_SECONDS: nothing a client sends can stand
in for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import proof
from bot.domain.keys import Purpose, derive
from bot.settings import settings

if TYPE_CHECKING:  # the action server uses this module too, without loading Rasa's core
    from rasa.core.agent import Agent

PROOF_SLOT = "verification"


def proven_contract_number(proof_value: object, conversation_id: str) -> str | None:
    """The contract ``proof_value`` (the ``verification`` slot) vouches for in this conversation, if fresh."""
    conf = settings()
    return proof.proven_contract(
        derive(conf.secret_key, Purpose.VERIFICATION),
        proof_value,
        conversation_id,
        conf.verification_idle_seconds,
    )


async def verified_contract_of(agent: Agent, conversation_id: str) -> str | None:
    """The contract ``conversation_id`` has verified, from its stored tracker; None if none (or lapsed)."""
    if agent.tracker_store is None:
        return None
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return None
    return proven_contract_number(tracker.get_slot(PROOF_SLOT), conversation_id)
