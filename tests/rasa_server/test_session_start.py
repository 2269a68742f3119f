"""A new session (after `session_expiration_time` idle) ends a verification: no slot carries over."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.core.actions.action import ActionSessionStart
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_session_carries_no_verification_over() -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    verified = [
        SlotSet("verified", True),
        SlotSet("verification", "a-proof"),
        SlotSet("verified_summary", "x"),
    ]
    tracker = DialogueStateTracker.from_events("rest:returning", verified, domain.slots)
    events = asyncio.run(
        ActionSessionStart().run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain
        )
    )
    assert isinstance(events[0], SessionStarted)
    assert not [
        e
        for e in events
        if isinstance(e, SlotSet) and e.key in ("verified", "verification", "verified_summary")
    ]
