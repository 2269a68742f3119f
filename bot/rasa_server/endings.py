"""End chat: a widget conversation is restarted, so nothing in it stays verified.

The widget's "End chat" (docs/channels.md) forgets its session token and its
history on the device; this makes the server forget the verification too, so
a copy of the token taken before (a shared computer) opens a conversation with
no verified contract, no identity answers and no form half filled. Rasa's
``Restarted`` event resets every slot; the next message starts a new session.
Nothing is deleted: the tracker keeps the history (docs/security.md,
"Retention and erasure"), and the failure counts of the verification
throttle, kept outside the conversation, still count.
"""

from __future__ import annotations

import logging

from rasa.core.agent import Agent
from rasa.shared.core.events import Restarted

log = logging.getLogger(__name__)


async def end_conversation(agent: Agent, conversation_id: str) -> bool:
    """Restart ``conversation_id`` under its lock; False when it has no stored events."""
    if agent.tracker_store is None or agent.lock_store is None:
        return False
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return False
        tracker.update(Restarted())
        await agent.tracker_store.save(tracker)
    log.info("a widget conversation was ended by its customer")
    return True
