"""Identity verification inside the look-up and GAP claim forms.

Verification happens as soon as last name, ZIP and VIN are all valid, whichever
order (or single message) they arrive in. A mismatch gets the same neutral
answer whichever part was wrong and keeps all three: the customer sends the one
that needs fixing ("zip is 98101") or all three again, and only a changed value
is checked again. The third mismatch clears them, locks the conversation and
hands off to the phone. Failures are also counted per VIN, contract and client
in shared storage (bot/data/throttle.py): past those limits no check is made at
all, whatever the conversation, channel or replica, and the customer is told to
call. A match issues the signed proof the personal actions check
(actions/common.py).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import (
    ServiceUnavailable,
    call_service,
    clear_identity_slots,
    client_of,
    latest_intent,
    proven_contract_number,
    say,
    verification_proof,
)
from bot.content.intents import PERSONAL_QUESTIONS, carry_on_intents
from bot.data import services
from bot.data.services import Outcome
from bot.domain.answers import contract_summary
from bot.domain.identity import (
    IDENTITY_SLOTS,
    MAX_VERIFICATION_FAILURES,
    check_typed_vin,
    normalize_zip,
)
from bot.domain.verification import (
    clean_last_name,
    name_candidates,
    surname_answer,
    vin_candidate,
    zip_candidate,
)
from bot.rasa_server.counters import VERIFICATIONS

log = logging.getLogger(__name__)
# After a mismatch the details are kept and the form asks for the one to fix.
RECHECK = "identity_recheck"
CORRECTION = "identity_correction"


class IdentityFormValidation(FormValidationAction):
    """Validation shared by both forms that collect last name, ZIP and VIN."""

    @abstractmethod
    def name(self) -> str:
        """The validation action's name: validate_<form>."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("identity_locked") or tracker.get_slot("contract_system_down"):
            return []
        if proven_contract_number(tracker):
            return [s for s in domain_slots if s not in IDENTITY_SLOTS]
        if tracker.get_slot(RECHECK):
            return [CORRECTION, *domain_slots]  # asked first; the three stay open to a fix
        return domain_slots

    async def extract_last_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A bare surname the NLU misread (e.g. as *stop*) still answers the question,
        and after a mismatch, one that comes without a ZIP code or VIN is the fix."""
        requested = tracker.get_slot("requested_slot")
        asked = requested == "last_name" and not tracker.get_slot("last_name")
        if not (asked or (requested == CORRECTION and not gave_identity_values(tracker))):
            return {}
        name = surname_answer(tracker.latest_message.get("text") or "", latest_intent(tracker) or "")
        return {"last_name": name} if name else {}

    def validate_last_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if corrects_another_field(tracker, "last_name"):
            return {"last_name": None}
        name = clean_last_name(str(value or ""))
        if name is None:
            say(dispatcher, "invalid_last_name")
        return {"last_name": name}

    def validate_zip_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if corrects_another_field(tracker, "zip_code"):
            return {"zip_code": None}
        zip5 = normalize_zip(zip_candidate(str(value or "")) or "")
        if zip5 is None:
            say(dispatcher, "invalid_zip_code")
        return {"zip_code": zip5}

    def validate_vin(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if corrects_another_field(tracker, "vin"):
            return {"vin": None}
        candidate = vin_candidate(str(value or ""))
        check = check_typed_vin(candidate)
        if not check.ok:
            say(dispatcher, f"invalid_vin_{check.problem}", vin_length=str(len(candidate)))
            return {"vin": None}
        return {"vin": check.vin}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        events += self._remember_question(tracker)
        events += self._carry_on(tracker, events)
        complete = all(tracker.get_slot(s) for s in IDENTITY_SLOTS)
        # After a mismatch only a changed value is checked again: a side question, or a
        # detail sent again unchanged, never counts as another attempt.
        if (
            not tracker.get_slot("identity_locked")  # locked stays locked, whatever is typed next
            and not proven_contract_number(tracker)
            and complete
            and (_changed(tracker) or not tracker.get_slot(RECHECK))
        ):
            verification = await self._verify(dispatcher, tracker)
            tracker.add_slots(verification)
            events += verification
        return events

    def _carry_on(self, tracker: Tracker, events: list[EventType]) -> list[EventType]:
        """Asked to go on, or again for what the form is doing: it asks its question again.

        A slot event keeps Rasa from rejecting the form (it rejects one that
        filled nothing), after which only the fallback would answer: a rule
        cannot predict a form Rasa has just rejected.
        """
        requested = tracker.get_slot("requested_slot")
        if not requested or latest_intent(tracker) not in carry_on_intents(self.form_name()):
            return []
        if any(e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events):
            return []  # something was filled: the form goes on by itself
        return [SlotSet(requested, None)]  # it has no value yet: nothing changes

    @staticmethod
    def _remember_question(tracker: Tracker) -> list[EventType]:
        """On activation, remember the personal question that started the form.

        Only then: any slot event later would stop the form from rejecting an
        off-form message, and the interruption rules would never answer it.
        """
        if tracker.get_slot("requested_slot") is not None:
            return []
        events: list[EventType] = []
        if tracker.get_slot("lookup_offered"):
            events.append(SlotSet("lookup_offered", False))
        if tracker.get_slot("paused_form"):
            events.append(SlotSet("paused_form", None))
        intent = latest_intent(tracker)
        if intent in PERSONAL_QUESTIONS:
            events.append(SlotSet("pending_question", intent))
        return events

    async def _verify(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        try:
            check = await call_service(
                services.check_identity,
                name_candidates(tracker.get_slot("last_name")),
                tracker.get_slot("zip_code"),
                tracker.get_slot("vin"),
                client_of(tracker),
            )
        except ServiceUnavailable:
            say(dispatcher, "service_unavailable")
            return [SlotSet("contract_system_down", True)] + clear_identity_slots()
        VERIFICATIONS.labels(check.outcome.value).inc()
        if check.outcome is Outcome.LOCKED:
            # The verify action (or the GAP claim's submit) says to call.
            return [SlotSet("identity_locked", True)] + clear_identity_slots()
        contract = check.contract
        if contract is None:
            failures = int(tracker.get_slot("verification_failures") or 0) + 1
            log.info("identity verification failed (attempt %d)", failures)
            events: list[EventType] = [SlotSet("verification_failures", failures)]
            if failures >= MAX_VERIFICATION_FAILURES:
                return (
                    events
                    + [SlotSet("identity_locked", True), SlotSet(RECHECK, None)]
                    + clear_identity_slots()
                )
            say(dispatcher, "identity_mismatch")
            return events + [SlotSet(RECHECK, True)]  # kept: the customer fixes the one that's wrong
        log.info("identity verified for contract %s", contract.contract_number)
        try:
            await call_service(
                services.remember_verified_conversation, tracker.sender_id, contract.contract_number
            )
        except ServiceUnavailable:
            pass  # the customer still gets the answer; only the erasure index misses this conversation
        return [
            SlotSet("verified", True),
            *verification_proof(contract.contract_number, tracker),
            SlotSet("verified_summary", contract_summary(contract)),
            SlotSet("gap_eligible", contract.has_gap and contract.status == "active"),
            SlotSet("verification_failures", 0),
            SlotSet(RECHECK, None),
        ] + clear_identity_slots()


def _changed(tracker: Tracker) -> bool:
    """An identity value differs from what it was when the latest message came in."""
    latest = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=0)
    before: dict[str, Any] = {}
    for event in tracker.events[:latest]:
        if event.get("event") == "slot" and event.get("name") in IDENTITY_SLOTS:
            before[event["name"]] = event.get("value")
    return any(before.get(slot) != tracker.get_slot(slot) for slot in IDENTITY_SLOTS)


def gave_identity_values(tracker: Tracker) -> bool:
    return any(e.get("entity") in IDENTITY_SLOTS for e in tracker.latest_message.get("entities") or [])


def corrects_another_field(tracker: Tracker, slot: str) -> bool:
    """``slot`` is the one asked for, but the latest message gives another identity
    field and none for it: a correction ("oops, zip is 98101" while the VIN is
    asked), whose words must not be read as ``slot``'s value."""
    if tracker.get_slot("requested_slot") != slot:
        return False
    given = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    return slot not in given and bool(given & (set(IDENTITY_SLOTS) - {slot}))


class ValidateLookupForm(IdentityFormValidation):
    def name(self) -> str:
        return "validate_lookup_form"


class ValidateGapClaimForm(IdentityFormValidation):
    def name(self) -> str:
        return "validate_gap_claim_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("gap_eligible") is False:
            return []  # the submit action explains why no claim can be opened
        return await super().required_slots(domain_slots, dispatcher, tracker, domain)
