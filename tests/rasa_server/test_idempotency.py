"""bot/rasa_server/idempotency.py: a stored delivery is answered from its turn, never processed twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server import idempotency
from bot.rasa_server.idempotency import delivery_message_id, is_delivery_id, stored_replies

BUTTONS = [{"title": "Yes", "payload": "/affirm"}]


def tracker_with(*events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("rest:someone-123", list(events))


def test_a_delivery_id_names_its_channel_and_rasas_own_ids_are_not_delivery_ids() -> None:
    assert delivery_message_id("rest", "0123456789abcdef0123456789abcdef") == (
        "rest:0123456789abcdef0123456789abcdef"
    )
    assert delivery_message_id("sms", "SM" + "a" * 32) == "sms:SM" + "a" * 32
    for unusable in (None, "", "x" * 101, "has space", "semi;colon", "slash/id"):
        assert delivery_message_id("rest", unusable) is None
    assert is_delivery_id("widget:abc") and not is_delivery_id("0123456789abcdef0123456789abcdef")
    assert not is_delivery_id(None)


def test_the_replies_stored_after_a_turn_are_its_answer() -> None:
    tracker = tracker_with(
        SessionStarted(),
        UserUttered("hi", message_id="rest:first"),
        BotUttered("Hello!"),
        UserUttered("is my rental covered?", message_id="rest:second"),
        ActionExecuted("utter_rental"),
        BotUttered("Rental answer."),
        BotUttered("Want me to check?", data={"buttons": BUTTONS}),
        UserUttered("yes", message_id="rest:third"),
        BotUttered("What's your last name?"),
    )
    assert stored_replies(tracker, "rest:second") == [
        {"text": "Rental answer."},
        {"text": "Want me to check?", "buttons": BUTTONS},
    ]
    assert stored_replies(tracker, "rest:first") == [{"text": "Hello!"}]
    assert stored_replies(tracker, "rest:unknown") is None


def test_a_turn_stored_without_replies_is_still_stored() -> None:
    """The replica died after storing the turn and before the bot said anything: answer nothing, run nothing."""
    assert stored_replies(tracker_with(UserUttered("hi", message_id="rest:x")), "rest:x") == []


class Processor:
    """The parts of MessageProcessor the patch uses; ``handled`` counts real processing."""

    def __init__(self, store: InMemoryTrackerStore) -> None:
        self.tracker_store = store
        self.handled: list[str] = []


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    async def original(self: Processor, message: UserMessage) -> list[dict[str, Any]]:
        self.handled.append(message.text or "")
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        tracker.update(BotUttered(f"answer to {message.text}"))
        await self.tracker_store.save(tracker)
        await message.output_channel.send_text_message(message.sender_id, f"answer to {message.text}")
        assert isinstance(message.output_channel, CollectingOutputChannel)
        return message.output_channel.messages

    monkeypatch.setattr(MessageProcessor, "handle_message", original)
    monkeypatch.setattr(idempotency, "_installed", False)
    idempotency.install()


def handle(processor: Processor, text: str, message_id: str | None) -> list[dict[str, Any]]:
    message = UserMessage(text, CollectingOutputChannel(), "rest:someone-123", message_id=message_id)
    result = asyncio.run(MessageProcessor.handle_message(processor, message))  # type: ignore[arg-type]
    assert result is not None
    return result


def test_a_repeated_delivery_is_answered_from_the_stored_turn_and_not_processed_again(patched: None) -> None:
    processor = Processor(InMemoryTrackerStore(Domain.empty()))
    first = handle(processor, "is my rental covered?", "rest:req-1")
    again = handle(processor, "is my rental covered?", "rest:req-1")
    assert [m["text"] for m in first] == [m["text"] for m in again] == ["answer to is my rental covered?"]
    assert processor.handled == ["is my rental covered?"]
    handle(processor, "how do I cancel?", "rest:req-2")
    assert processor.handled == ["is my rental covered?", "how do I cancel?"]


def test_messages_without_a_delivery_id_are_always_processed(patched: None) -> None:
    processor = Processor(InMemoryTrackerStore(Domain.empty()))
    handle(processor, "hi", None)
    handle(processor, "hi", None)
    handle(processor, "hi", "0123456789abcdef0123456789abcdef")  # one of Rasa's own ids
    handle(processor, "hi", "0123456789abcdef0123456789abcdef")
    assert processor.handled == ["hi"] * 4
