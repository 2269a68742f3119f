"""Each message read in its conversation before Rasa acts on it (bot/understanding/reading.py).

Rasa 3.6 parses a message with the model alone. ``install()`` wraps
`MessageProcessor.parse_message`, which is given the conversation's tracker,
so an identity answer, a message in another language or a message with
several questions is read the way the conversation makes clear; and
`MessageProcessor.handle_message`, so each further question is answered as a
turn of its own right after the first, inside the same conversation lock.
bot/rasa_server/process.py installs it from every one of our channels, like
the speed-ups.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from bot.content.intents import IDENTITY_FORMS
from bot.understanding import language
from bot.understanding.reading import IDENTITY_ENTITIES, Context, read

log = logging.getLogger(__name__)

# The further questions read in a message, until its first turn is handled.
_FOLLOW_UPS: weakref.WeakKeyDictionary[UserMessage, list[dict[str, str]]] = weakref.WeakKeyDictionary()
_installed = False
CORRECTION = "identity_correction"  # the form's question after a mismatch (actions/identity.py)


def context_of(tracker: DialogueStateTracker) -> Context:
    """What the conversation waits for: the identity field a form asked for, or the look-up after an offer."""
    if tracker.active_loop_name in IDENTITY_FORMS:
        requested = tracker.get_slot("requested_slot")
        if requested == CORRECTION:
            return Context(awaiting="identity")  # after a mismatch: any of the three
        return Context(awaiting=requested if requested in IDENTITY_ENTITIES else None)
    if tracker.get_slot("lookup_offered"):
        return Context(awaiting="identity")
    return Context()


def follow_up_message(message: UserMessage, question: dict[str, str]) -> UserMessage:
    """A further question of ``message`` as a message of its own, already read."""
    return UserMessage(
        question["text"],
        message.output_channel,
        message.sender_id,
        parse_data={
            "text": question["text"],
            "intent": {"name": question["intent"], "confidence": 1.0},
            "intent_ranking": [{"name": question["intent"], "confidence": 1.0}],
            "entities": [],
            "follow_up": True,
        },
        input_channel=message.input_channel,
        metadata=message.metadata,
    )


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    original_parse = MessageProcessor.parse_message
    original_handle = MessageProcessor.handle_message

    async def parse_message(
        self: MessageProcessor,
        message: UserMessage,
        tracker: DialogueStateTracker | None = None,
        only_output_properties: bool = True,
    ) -> dict[str, Any]:
        parsed = await original_parse(self, message, tracker, only_output_properties)
        if tracker is None or self.http_interpreter:
            return parsed  # an API call that only parses, or an outside NLU server

        def model(text: str) -> dict[str, Any]:
            blank = DialogueStateTracker.from_events(tracker.sender_id, [])
            return self._parse_message_with_graph(UserMessage(text), blank, only_output_properties)

        reading = read(parsed, context_of(tracker), model)
        if reading.get("read_from") is not None:
            log.info("read %s as %s", reading["read_from"], reading["intent"]["name"])
        if reading.get("follow_ups"):
            _FOLLOW_UPS[message] = reading["follow_ups"]
        return reading

    async def handle_message(self: MessageProcessor, message: UserMessage) -> Any:
        responses = await original_handle(self, message)
        for question in _FOLLOW_UPS.pop(message, []):
            responses = await original_handle(self, follow_up_message(message, question))
        return responses

    MessageProcessor.parse_message = parse_message
    MessageProcessor.handle_message = handle_message


async def warm_up(*_: Any) -> None:
    """Sanic `after_server_start` listener: load the language model before the first message."""
    language.warm_up()
