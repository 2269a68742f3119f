"""Form questions, leaving a form, and the two-stage fallback."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import clear_identity_slots, latest_intent, say
from bot.content.intents import BY_NAME
from bot.content.messages import render

MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.1


def _question(intent: object) -> str | None:
    """How a customer asks ``intent`` (bot/content/intents.py), if it is a topic."""
    known = BY_NAME.get(intent) if isinstance(intent, str) else None
    return known.question if known else None


class FormQuestion(Action, ABC):
    """Asks for a form slot with the catalogue text of the same name."""

    @property
    @abstractmethod
    def question(self) -> str:
        """Catalogue key, which is also the action name without "action_"."""

    def name(self) -> str:
        return f"action_{self.question}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, self.question, verified_summary=tracker.get_slot("verified_summary") or "")
        return []


class AskLookupLastName(FormQuestion):
    question = "ask_lookup_form_last_name"


class AskGapClaimLastName(FormQuestion):
    question = "ask_gap_claim_form_last_name"


class AskZipCode(FormQuestion):
    question = "ask_zip_code"


class AskVin(FormQuestion):
    question = "ask_vin"


class AskGapConfirmed(FormQuestion):
    question = "ask_gap_confirmed"


class ActionStopForm(Action):
    """ "Stop" / "never mind" / goodbye in a form: end it and forget what was typed."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if latest_intent(tracker) == "goodbye":
            dispatcher.utter_message(response="utter_goodbye")
        else:
            say(dispatcher, "form_stopped")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("gap_confirmed", None),
            SlotSet("pending_question", None),
        ] + clear_identity_slots()


class ActionDefaultAskAffirmation(Action):
    """First fallback stage: offer the likeliest topics as buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        buttons = [
            {"title": question, "payload": f"/{item['name']}"}
            for item in ranking
            if (question := _question(item.get("name")))
            and item.get("confidence", 0) >= MIN_SUGGESTION_CONFIDENCE
        ][:MAX_SUGGESTIONS]
        if not buttons:
            say(dispatcher, "ask_rephrase")
            return []
        message = render("did_you_mean")
        message["buttons"] = buttons + [{"title": "Something else", "payload": "/out_of_scope"}]
        dispatcher.utter_message(**message)
        return []


class ActionDefaultAskRephrase(Action):
    def name(self) -> str:
        return "action_default_ask_rephrase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, "ask_rephrase")
        return []


class ActionDefaultFallback(Action):
    """Last stage: apologise and hand off to people, never loop."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, "default")
        dispatcher.utter_message(response="utter_human")
        return [UserUtteranceReverted()]
