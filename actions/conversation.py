"""Form questions, leaving or pausing a form, other languages, and the two-stage fallback."""

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
OUT_OF_SCOPE = "out_of_scope"
# The reply for each language bot/understanding/language.py names: close neighbours read
# the Spanish one; any other language gets the short English one.
LANGUAGE_REPLIES = {
    "es": "other_language_es",
    "gl": "other_language_es",
    "ca": "other_language_es",
    "it": "other_language_es",
    "pt": "other_language_es",
    "fr": "other_language_fr",
}


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


class AskIdentityCorrection(FormQuestion):
    question = "ask_identity_correction"


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
            SlotSet("paused_form", None),
            SlotSet("identity_recheck", None),
        ] + clear_identity_slots()


class ActionPauseForm(Action):
    """An emergency (or a message in another language) ends the form for now but
    keeps what was typed, so "ok, continue" picks it up at the same question."""

    def name(self) -> str:
        return "action_pause_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("paused_form", tracker.active_loop.get("name")),
        ]


class ActionAnswerInLanguage(Action):
    """A message the model can't read: 911, roadside and the phone numbers, in its language."""

    def name(self) -> str:
        return "action_answer_in_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = tracker.latest_message.get("language")
        say(dispatcher, LANGUAGE_REPLIES.get(str(language), "other_language"))
        return []


class ActionDefaultAskAffirmation(Action):
    """First fallback stage: offer the likeliest topics as buttons.

    A message that is most likely off-topic gets the off-topic answer instead
    (what the assistant does, and how to reach a person): "did you mean…?"
    never stands alone for it.
    """

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ranking = [
            r for r in tracker.latest_message.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"
        ]
        if ranking and ranking[0].get("name") == OUT_OF_SCOPE:
            dispatcher.utter_message(response=BY_NAME[OUT_OF_SCOPE].response or "")
            return []
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
