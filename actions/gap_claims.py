"""Opening a GAP claim after the form, idempotently (retries never double-file)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    ServiceUnavailable,
    call_service,
    forget_verification,
    input_channel,
    offer_attachments,
    proven_contract_number,
    say,
)
from bot.claims.chat import updates_contact
from bot.data import services
from bot.data.claims import set_claim_contact
from bot.domain.answers import long_date
from bot.domain.clock import today
from bot.domain.policy import gap_review_due
from bot.rasa_server.counters import GAP_CLAIMS

log = logging.getLogger(__name__)


class ActionSubmitGapClaim(Action):
    def name(self) -> str:
        return "action_submit_gap_claim"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = [SlotSet("gap_confirmed", None)]
        if tracker.get_slot("contract_system_down"):
            return reset + [SlotSet("contract_system_down", None)]  # the form already said so
        number = proven_contract_number(tracker)
        if number is None and tracker.get_slot("verified") and not tracker.get_slot("identity_locked"):
            say(dispatcher, "verification_expired")  # the proof lapsed, or was never ours
            return reset + forget_verification()
        if number is None or tracker.get_slot("identity_locked"):
            say(dispatcher, "identity_locked")
            return reset
        if tracker.get_slot("gap_confirmed") is False:
            say(dispatcher, "gap_claim_declined")
            return reset
        try:
            claim, created = await call_service(
                services.open_gap_claim, number, input_channel(tracker), today()
            )
        except services.NotEligible as refusal:
            GAP_CLAIMS.labels("not_eligible").inc()
            await self._explain_refusal(dispatcher, refusal.reason, number)
            return reset + [SlotSet("gap_eligible", False)]
        except ServiceUnavailable:
            say(dispatcher, "service_unavailable")
            return reset
        GAP_CLAIMS.labels("opened" if created else "already_open").inc()
        await self._record_contact(claim.reference, tracker)
        if created:
            log.info("GAP claim %s opened for contract %s", claim.reference, number)
            say(
                dispatcher,
                "gap_claim_opened",
                claim_reference=claim.reference,
                review_due=long_date(gap_review_due(today())),
            )
        else:
            say(
                dispatcher,
                "gap_claim_exists",
                claim_reference=claim.reference,
                claim_opened=long_date(claim.created_at.date()),
            )
        offer_attachments(dispatcher, tracker)
        return reset

    @staticmethod
    async def _record_contact(reference: str, tracker: Tracker) -> None:
        """Send the claim's status updates to this conversation's channel (docs/claims.md)."""
        contact = updates_contact(input_channel(tracker), tracker.sender_id)
        if contact is None:
            return
        try:
            await call_service(set_claim_contact, reference, *contact)
        except ServiceUnavailable:
            # The claim is open; only its updates lack a channel (the customer can still ask).
            log.warning("GAP claim %s: its contact for updates was not recorded", reference)

    @staticmethod
    async def _explain_refusal(dispatcher: CollectingDispatcher, reason: str, number: str) -> None:
        if reason == services.NotEligible.NO_GAP:
            say(dispatcher, "gap_no_addendum")
            return
        try:
            view = await call_service(services.get_contract_view, number)
        except ServiceUnavailable:
            view = None
        status = view.status if view is not None else "not active"
        say(dispatcher, "gap_contract_inactive", contract_status=status)
