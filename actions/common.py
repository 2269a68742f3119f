"""Shared helpers for actions: blocking calls off the event loop, replies, slots, the verified contract."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.claims.intake import IntakeResult, Outcome
from bot.content.messages import render
from bot.data import services
from bot.data.services import ContractView
from bot.domain import proof
from bot.domain.answers import Reply
from bot.domain.identity import IDENTITY_SLOTS
from bot.domain.keys import Purpose, derive
from bot.rasa_server import verified
from bot.rasa_server.senders import CLIENT_METADATA_KEY
from bot.settings import settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# Slots a verification sets; all of them go when it lapses.
VERIFICATION_SLOTS = ("verified", "verification", "verified_summary", "gap_eligible")


class ServiceUnavailable(Exception):
    """The contract database could not be reached."""


async def call_service(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking bot.data.services call in a worker thread (never on the event loop)."""
    try:
        return await asyncio.to_thread(fn, *args)
    except services.NotEligible:
        raise
    except Exception as exc:  # the database is down or misconfigured
        log.error("contract service call %s failed: %s", fn.__name__, type(exc).__name__)
        raise ServiceUnavailable() from exc


def say(dispatcher: CollectingDispatcher, key: str, **variables: str) -> None:
    """Send catalogue message ``key`` (bot/content/messages.yml)."""
    dispatcher.utter_message(**render(key, **variables))


def say_all(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        say(dispatcher, reply.message, **reply.variables)


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    return next(tracker.get_latest_entity_values(entity), None)


def _proof_key() -> bytes:
    return derive(settings().secret_key, Purpose.VERIFICATION)


def proven_contract_number(tracker: Tracker) -> str | None:
    """The contract this conversation verified, if its signed proof is valid and fresh.

    The ``verified`` slot steers the dialogue but proves nothing: whoever can
    post a tracker can set it. The proof is signed by this server for this
    conversation and lapses after VERIFICATION_IDLE_SECONDS.
    """
    return verified.proven_contract_number(tracker.get_slot(verified.PROOF_SLOT), tracker.sender_id)


def verification_proof(contract_number: str, tracker: Tracker) -> list[EventType]:
    """A fresh proof for this conversation (re-issued with each personal answer)."""
    return [SlotSet("verification", proof.issue(_proof_key(), contract_number, tracker.sender_id))]


def forget_verification() -> list[EventType]:
    return [SlotSet(slot, None) for slot in VERIFICATION_SLOTS]


async def verified_contract(tracker: Tracker) -> ContractView | None:
    number = proven_contract_number(tracker)
    if number is None:
        return None
    return await call_service(services.get_contract_view, number)


def client_of(tracker: Tracker) -> str:
    """Who sent the latest message, as the channel's pseudonym (bot/rasa_server/senders.py).

    A conversation with none (a terminal session) counts as its own client.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            client = (event.get("metadata") or {}).get(CLIENT_METADATA_KEY)
            if isinstance(client, str) and client:
                return client
            break
    return f"conversation:{tracker.sender_id}"


def input_channel(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "unknown"


def attachments_offer() -> dict[str, Any]:
    """What the widget's "Attach a document" button needs (bot/web/static/widget.js): the file
    cap, and what to say for a file over it without sending it (a browser can't read an early 413)."""
    return {
        "claim_documents": True,
        "max_file_bytes": settings().claims_max_file_bytes,
        "too_big": IntakeResult(Outcome.TOO_BIG).reply(),
    }


def offer_attachments(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Tell the chat widget the conversation's claim takes documents (other channels have no button)."""
    if input_channel(tracker) == "socketio":
        # Rasa's socket.io output emits a custom message's "data" as the event's payload.
        dispatcher.utter_message(json_message={"data": attachments_offer()})


def clear_identity_slots() -> list[EventType]:
    return [SlotSet(slot, None) for slot in IDENTITY_SLOTS]
