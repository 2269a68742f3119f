"""A delivery handled once: a message whose delivery id is already stored is answered, not run again.

A channel that knows its client's own id for a message (nginx's request id
for REST, Twilio's ``MessageSid``, the widget's client message id) passes it
as ``UserMessage.message_id`` through ``delivery_message_id``. Rasa serialises
a conversation's messages with the lock store (across replicas: the atomic
Redis lock), and inside that lock this checks the conversation's tracker: when
a user turn with the same id is already stored, the message is not processed
again, and the replies stored after it are sent instead. So a double-tapped
Send, a widget resending after a reconnect, or a request that nginx sends on
to another replica after the first one died is stored once, and its sender
still gets the answer. Rasa's own ids (``uuid4().hex``, no ":") are never
checked: a message without a delivery id costs nothing here.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

DELIVERY_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
SEPARATOR = ":"
_installed = False


def delivery_message_id(channel: str, client_id: str | None) -> str | None:
    """The message id for a delivery the client named: ``<channel>:<client id>``, or None if unusable."""
    if not client_id or not DELIVERY_ID.match(client_id):
        return None
    return f"{channel}{SEPARATOR}{client_id}"


def is_delivery_id(message_id: str | None) -> bool:
    return bool(message_id) and SEPARATOR in str(message_id)


def stored_replies(tracker: DialogueStateTracker, message_id: str) -> list[dict[str, Any]] | None:
    """The bot messages stored after the user turn ``message_id``; None when that turn is not stored."""
    replies: list[dict[str, Any]] | None = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break  # the next turn began
            if event.message_id == message_id:
                replies = []
        elif isinstance(event, SessionStarted) and replies is not None:
            break
        elif isinstance(event, BotUttered) and replies is not None:
            reply: dict[str, Any] = {"text": event.text} if event.text else {}
            reply.update({key: value for key, value in (event.data or {}).items() if value})
            replies.append(reply)
    return replies


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    original = MessageProcessor.handle_message

    async def handle_message(self: MessageProcessor, message: UserMessage) -> list[dict[str, Any]] | None:
        if is_delivery_id(message.message_id) and message.sender_id:
            tracker = await self.tracker_store.retrieve(message.sender_id)
            replies = stored_replies(tracker, str(message.message_id)) if tracker else None
            if replies is not None:
                log.info("a delivery already stored was answered from its stored turn")
                for reply in replies:
                    await message.output_channel.send_response(message.sender_id, dict(reply))
                if isinstance(message.output_channel, CollectingOutputChannel):
                    return message.output_channel.messages
                return None
        return await original(self, message)

    MessageProcessor.handle_message = handle_message
