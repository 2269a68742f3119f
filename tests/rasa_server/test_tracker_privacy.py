"""What the tracker store writes for personal data (bot/rasa_server/tracker_privacy.py)."""

from __future__ import annotations

import json
from typing import Any

from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from bot.rasa_server.tracker_privacy import ENCRYPTED_PREFIX, TrackerPrivacy

NAME, ZIP, VIN = "Smith-Jones", "98101", "5YJ3E1EAXPF402917"


def typed(text: str, entities: list[dict[str, Any]], intent: str = "inform") -> dict[str, Any]:
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities,
        "intent_ranking": [{"name": intent, "confidence": 0.9}, {"name": "ask_gap", "confidence": 0.1}],
    }
    return UserUttered(text, parse_data["intent"], entities, parse_data, input_channel="rest").as_dict()


def entity(kind: str, text: str, value: str) -> dict[str, Any]:
    start = SENTENCE.index(text)
    return {"entity": kind, "start": start, "end": start + len(text), "value": value, "extractor": "x"}


SENTENCE = "it's smith-jones, zip 98101 and the vin is 5yj3 e1ea xpf4 02917"
TURN = [
    typed(
        SENTENCE,
        [
            entity("last_name", "smith-jones", "smith-jones"),
            entity("zip_code", "98101", ZIP),
            entity("vin", "5yj3 e1ea xpf4 02917", VIN),
        ],
        intent="ask_gap",  # an intent name that shares letters with nothing typed
    ),
    SlotSet("last_name", NAME).as_dict(),
    SlotSet("zip_code", ZIP).as_dict(),
    SlotSet("vin", VIN).as_dict(),
    SlotSet("pending_question", "ask_my_plan").as_dict(),
    BotUttered("Thanks, I found your contract: VIN ending 402917.").as_dict(),
]


def test_nothing_typed_or_collected_is_readable_in_what_is_stored() -> None:
    stored = json.dumps(TrackerPrivacy("k1").protect([dict(e) for e in TURN]))
    for value in (NAME, NAME.lower(), ZIP, VIN, "5yj3 e1ea xpf4 02917"):
        assert value not in stored, value


def test_dialogue_facts_stay_as_they_were() -> None:
    user, *slots, bot = TrackerPrivacy("k1").protect([dict(e) for e in TURN])
    assert user["parse_data"]["intent"]["name"] == "ask_gap"
    assert [e["entity"] for e in user["parse_data"]["entities"]] == ["last_name", "zip_code", "vin"]
    assert user["text"] == "it's [last_name], zip [zip_code] and the vin is [vin]"
    assert slots[-1] == TURN[4] and bot == TURN[5]


def test_identity_slots_are_encrypted_and_read_back_with_the_key_only() -> None:
    privacy = TrackerPrivacy("k1")
    stored = privacy.protect([dict(e) for e in TURN])
    assert all(e["value"].startswith(ENCRYPTED_PREFIX) for e in stored[1:4])
    assert [privacy.reveal(e)["value"] for e in stored[1:4]] == [NAME, ZIP, VIN]
    # Another key (a rotated ASSISTANT_SECRET_KEY): unreadable, so the form asks again.
    assert [TrackerPrivacy("k2").reveal(e)["value"] for e in stored[1:4]] == [None, None, None]


def test_the_live_event_is_left_alone() -> None:
    event = dict(TURN[0])
    TrackerPrivacy("k1").protect([event])
    assert event["parse_data"]["text"] == SENTENCE  # the turn still in memory is untouched


def test_patterns_are_masked_without_entities() -> None:
    [user] = TrackerPrivacy("k1").protect([typed(f"my vin {VIN} zip {ZIP}, call 555-201-9876", [])])
    assert VIN not in json.dumps(user) and ZIP not in json.dumps(user) and "201-9876" not in json.dumps(user)


def test_a_typed_payload_is_not_kept_but_a_buttons_is() -> None:
    privacy = TrackerPrivacy("k1", intents=["lookup_contract", "deny"])
    typed_payload, button = privacy.protect(
        [typed('/lookup_contract{"last_name": "Quimbyson"} Quimbyson', []), typed("/lookup_contract", [])]
    )
    assert typed_payload["text"] == typed_payload["parse_data"]["text"] == "[typed payload]"
    assert button["text"] == "/lookup_contract"
    [name_as_intent] = privacy.protect([typed("/Quimbyson 66212", [])])
    assert "Quimbyson" not in json.dumps(name_as_intent)
