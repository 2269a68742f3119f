"""The Rasa-server side of reading messages in their conversation."""

from __future__ import annotations

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import ActiveLoop, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server.understanding import context_of, follow_up_message
from bot.understanding.reading import Context


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("test-understanding", list(events))


def test_the_conversation_says_what_it_waits_for() -> None:
    assert context_of(tracker()) == Context()
    assert context_of(tracker(SlotSet("lookup_offered", True))) == Context("identity")
    asked = tracker(ActiveLoop("lookup_form"), SlotSet("requested_slot", "zip_code"))
    assert context_of(asked) == Context("zip_code")
    fixing = tracker(ActiveLoop("gap_claim_form"), SlotSet("requested_slot", "identity_correction"))
    assert context_of(fixing) == Context("identity")
    confirming = tracker(ActiveLoop("gap_claim_form"), SlotSet("requested_slot", "gap_confirmed"))
    assert context_of(confirming) == Context()


def test_a_further_question_is_a_message_of_its_own_already_read() -> None:
    output = CollectingOutputChannel()
    first = UserMessage("how do i cancel? and can i transfer it", output, "sender-1", input_channel="rest")
    follow = follow_up_message(first, {"text": "can i transfer it", "intent": "ask_transfer"})
    assert (follow.text, follow.sender_id, follow.output_channel, follow.input_channel) == (
        "can i transfer it",
        "sender-1",
        output,
        "rest",
    )
    assert follow.parse_data is not None and follow.parse_data["intent"]["name"] == "ask_transfer"
    assert follow.parse_data["entities"] == []
