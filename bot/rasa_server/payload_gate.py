"""Typed payloads are plain text, on every channel (bot/domain/payloads.py).

Rasa's NLU graph ends in its RegexMessageHandler, which turns any text
starting with "/" into an intent and entities. Here the processor runs the
graph up to the node before it whenever the text is not exactly the payload
of a button the bot offered in its last turn; the offered buttons are read
from the conversation's own tracker, which Rasa has already loaded for the
turn (so this costs no read, and every replica sees the same offer).
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT

from bot.domain.payloads import is_typed_payload

_installed = False


def offered_payloads(tracker: DialogueStateTracker) -> set[str]:
    """The payloads of the buttons in the bot's messages since the customer last wrote."""
    offered: set[str] = set()
    for event in reversed(tracker.events):
        if isinstance(event, (UserUttered, SessionStarted)):
            break
        if isinstance(event, BotUttered):
            for button in (event.data.get("buttons") or []) + (event.data.get("quick_replies") or []):
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    offered.add(button["payload"])
    return offered


def _plain_nlu_target(processor: MessageProcessor) -> str:
    """The graph node whose output the RegexMessageHandler (the NLU target) post-processes."""
    metadata = processor.model_metadata
    return str(metadata.predict_schema.nodes[metadata.nlu_target].needs["messages"])


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    original = MessageProcessor._parse_message_with_graph

    def parse_message_with_graph(
        self: MessageProcessor,
        message: UserMessage,
        tracker: DialogueStateTracker,
        only_output_properties: bool = True,
    ) -> dict[str, Any]:
        if not is_typed_payload(message.text or "", offered_payloads(tracker)):
            return original(self, message, tracker, only_output_properties)
        target = _plain_nlu_target(self)
        results = self.graph_runner.run(
            inputs={PLACEHOLDER_MESSAGE: [message], PLACEHOLDER_TRACKER: tracker}, targets=[target]
        )
        parse_data: dict[str, Any] = {
            TEXT: "",
            INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
            ENTITIES: [],
        }
        parse_data.update(results[target][0].as_dict(only_output_properties=only_output_properties))
        return parse_data

    MessageProcessor._parse_message_with_graph = parse_message_with_graph
