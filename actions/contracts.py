"""Answers that use the customer's own contract once identity is verified.

The rules say the general answer (domain.yml) first; these actions add the
personal part, or offer to look the contract up. "Verified" means a valid
signed proof (actions/common.py); each personal answer renews it, and once it
has lapsed the customer is asked to verify again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    IDENTITY_SLOTS,
    ServiceUnavailable,
    call_service,
    forget_verification,
    latest_entity,
    latest_intent,
    offer_attachments,
    proven_contract_number,
    say,
    say_all,
    verification_proof,
    verified_contract,
)
from bot.claims.chat import ClaimAnswer, status_reply, upload_link_reply
from bot.content.intents import BY_NAME, CLAIM_QUESTIONS, PERSONAL_QUESTIONS, Role
from bot.domain.answers import long_date, personal_answer
from bot.domain.clock import today
from bot.domain.dates import parse_natural_date
from bot.domain.policy import transfer_deadline

LOOKUP_FORM = "lookup_form"
# The claim questions' answers (bot/content/intents.py CLAIM_QUESTIONS), from the verified contract's claim.
CLAIM_ANSWERS: dict[str, Callable[[str], ClaimAnswer]] = {
    "ask_gap_status": status_reply,
    "ask_upload_link": upload_link_reply,
}


def _role(intent: str | None) -> Role | None:
    known = BY_NAME.get(intent or "")
    return known.role if known else None


def gave_identity(tracker: Tracker) -> bool:
    """The latest message gave a last name, ZIP code or VIN: asking to be looked up."""
    return any(e.get("entity") in IDENTITY_SLOTS for e in tracker.latest_message.get("entities") or [])


def start_lookup(question: str | None) -> list[EventType]:
    """Start the look-up form now, to answer ``question`` once identity is verified."""
    return [
        SlotSet("lookup_offered", False),
        SlotSet("pending_question", question),
        FollowupAction(LOOKUP_FORM),
    ]


async def answer_from_contract(
    dispatcher: CollectingDispatcher, tracker: Tracker, question: str
) -> list[EventType] | None:
    """Say the personalised answer and renew the proof; None when no verified contract is available."""
    try:
        contract = await verified_contract(tracker)
        if contract is None:
            return None
        if question in CLAIM_QUESTIONS:
            answer = await call_service(CLAIM_ANSWERS[question], contract.contract_number)
            dispatcher.utter_message(text=answer.text)
            if answer.takes_documents:
                offer_attachments(dispatcher, tracker)
        else:
            say_all(dispatcher, personal_answer(question, contract, today()))
    except ServiceUnavailable:
        say(dispatcher, "service_unavailable")
        return []
    return verification_proof(contract.contract_number, tracker)


class ActionAnswerPersonal(Action):
    """Personal part of rental, trip, deductible, refund and contract questions."""

    def name(self) -> str:
        return "action_answer_personal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        question = latest_intent(tracker) or ""
        answered = await answer_from_contract(dispatcher, tracker, question)
        if answered is not None:
            return [SlotSet("lookup_offered", False), *answered]
        if tracker.active_loop.get("name"):
            # Mid-form the identity answers are still being collected.
            say(dispatcher, "answer_after_verification")
            return []
        lapsed: list[EventType] = []
        if tracker.get_slot("verified"):
            # The proof has lapsed (idle too long) or was never ours: check identity again.
            say(dispatcher, "verification_expired")
            lapsed = forget_verification()
            if question in PERSONAL_QUESTIONS:
                return [*lapsed, FollowupAction(LOOKUP_FORM)]
        if tracker.get_slot("identity_locked"):
            say(dispatcher, "identity_locked")  # every reply after the lock gives the phone number
            return lapsed
        if gave_identity(tracker):
            return [*lapsed, *start_lookup(question)]
        say(dispatcher, "offer_lookup")
        return [*lapsed, SlotSet("lookup_offered", True), SlotSet("pending_question", question)]


class ActionVerifyIdentity(Action):
    """After the look-up form: confirm the match and answer the pending question."""

    def name(self) -> str:
        return "action_verify_identity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("contract_system_down"):
            return [SlotSet("contract_system_down", None)]  # the form already said so
        if proven_contract_number(tracker) is None:
            say(dispatcher, "identity_locked")
            return []
        say(dispatcher, "verified", verified_summary=tracker.get_slot("verified_summary") or "")
        pending: str | None = tracker.get_slot("pending_question")
        events: list[EventType] = [SlotSet("pending_question", None)]
        if pending in PERSONAL_QUESTIONS:
            events += await answer_from_contract(dispatcher, tracker, pending) or []
        return events


class ActionDeclineLookup(Action):
    def name(self) -> str:
        return "action_decline_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        say(dispatcher, "lookup_declined")
        return [SlotSet("lookup_offered", False), SlotSet("pending_question", None)]


class ActionAnswerTransfer(Action):
    """After the transfer answer, or when details are given: the 30-day deadline."""

    def name(self) -> str:
        return "action_answer_transfer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        date_text = latest_entity(tracker, "date")
        if date_text:
            sale_date = parse_natural_date(date_text, today())
            if sale_date is None:
                say(dispatcher, "sale_date_unclear")
                return []
            deadline = transfer_deadline(sale_date)
            say(
                dispatcher,
                "transfer_deadline_passed" if deadline < today() else "transfer_deadline",
                sale_date_text=long_date(sale_date),
                deadline_text=long_date(deadline),
            )
            return []
        if _role(latest_intent(tracker)) is Role.TRANSFER:
            say(dispatcher, "ask_sale_date")
            return []
        if gave_identity(tracker):
            return start_lookup(tracker.get_slot("pending_question"))
        say(dispatcher, "ask_rephrase")
        return []
