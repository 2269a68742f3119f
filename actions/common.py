"""Shared helpers for actions: blocking calls off the event loop, replies, slots."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.content.messages import render
from bot.data import services
from bot.data.services import ContractView
from bot.domain.answers import Reply

log = logging.getLogger(__name__)
T = TypeVar("T")

IDENTITY_SLOTS = ("last_name", "zip_code", "vin")


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


async def verified_contract(tracker: Tracker) -> ContractView | None:
    number = tracker.get_slot("verified_contract")
    if not tracker.get_slot("verified") or not number:
        return None
    return await call_service(services.get_contract_view, number)


def input_channel(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "unknown"


def clear_identity_slots() -> list[dict]:
    return [SlotSet(slot, None) for slot in IDENTITY_SLOTS]
