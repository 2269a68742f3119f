"""Prometheus metrics for the Rasa server: messages, intents, fallbacks,
hand-offs, containment and latency.

Containment is 1 - handed_off / conversations. Counts come from two places: the channel guard (every message and its
latency) and an event broker that sees every tracker event (intents, actions).
Exposed at /webhooks/metrics/ by `MetricsInput`, to a scraper holding
METRICS_TOKEN (bot/rasa_server/scrape.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Counter, Histogram
from rasa.core.brokers.broker import EventBroker
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.utils.endpoints import EndpointConfig
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.content.intents import INTENT_NAMES
from bot.rasa_server.scrape import scrape_response

MESSAGES = Counter("assistant_messages_total", "Customer messages handled", ["channel"])
LATENCY = Histogram(
    "assistant_reply_seconds",
    "Time from a customer message to the full reply",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DEGRADED = Counter(
    "assistant_degraded_replies_total", "Replies completed by the guard", ["channel", "reason"]
)
RATE_LIMITED = Counter(
    "assistant_rate_limited_total", "Messages refused by the per-sender limit", ["channel"]
)
INTENTS = Counter("assistant_intents_total", "Classified intents", ["intent"])
# Intent labels are the intents of bot/content/intents.py (each series exists
# from the start, at 0), plus these; anything else (a "/payload" typed by hand)
# counts as OTHER_INTENT, so a client cannot grow the label set.
EXTRA_INTENT_LABELS = ("nlu_fallback", "none")
OTHER_INTENT = "other"
for _name in sorted(INTENT_NAMES) + [*EXTRA_INTENT_LABELS, OTHER_INTENT]:
    INTENTS.labels(_name)
FALLBACKS = Counter("assistant_fallbacks_total", "Fallback steps", ["stage"])
HANDOFFS = Counter("assistant_handoffs_total", "Hand-offs to a phone line", ["kind"])
CONVERSATIONS = Counter("assistant_conversations_total", "Conversations started")
HANDED_OFF = Counter("assistant_conversations_handed_off_total", "Conversations with at least one hand-off")

FALLBACK_ACTIONS = {
    "action_two_stage_fallback": "ask",
    "action_default_ask_rephrase": "rephrase",
    "action_default_fallback": "final",
}
HANDOFF_ACTIONS = {
    "utter_roadside": "roadside",
    "utter_accident": "emergency",
    "utter_human": "phone",
    "action_default_fallback": "phone",
}
MAX_TRACKED_CONVERSATIONS = 100_000


def intent_label(intent: str) -> str:
    """The ``intent`` label for a classified intent: bounded by the intent table."""
    return intent if intent in INTENT_NAMES or intent in EXTRA_INTENT_LABELS else OTHER_INTENT


class MetricsEventBroker(EventBroker):
    """Counts intents, fallbacks and hand-offs from the tracker event stream."""

    def __init__(self) -> None:
        self._handed_off: set[str] = set()

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: asyncio.AbstractEventLoop | None = None
    ) -> MetricsEventBroker:
        return cls()

    def publish(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        sender = str(event.get("sender_id", ""))
        if kind == "session_started":
            CONVERSATIONS.inc()
        elif kind == "user":
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name") or "none"
            INTENTS.labels(intent_label(intent)).inc()
            if intent == "nlu_fallback":
                FALLBACKS.labels("nlu").inc()
        elif kind == "action":
            name = event.get("name", "")
            if name in FALLBACK_ACTIONS:
                FALLBACKS.labels(FALLBACK_ACTIONS[name]).inc()
            if name in HANDOFF_ACTIONS:
                HANDOFFS.labels(HANDOFF_ACTIONS[name]).inc()
                if sender not in self._handed_off and len(self._handed_off) < MAX_TRACKED_CONVERSATIONS:
                    self._handed_off.add(sender)
                    HANDED_OFF.inc()

    def is_ready(self) -> bool:
        return True


class MetricsInput(InputChannel):
    """Not a chat channel: serves the Prometheus text format at /webhooks/metrics/."""

    @classmethod
    def name(cls) -> str:
        return "metrics"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("assistant_metrics", __name__)

        @bp.route("/", methods=["GET"])
        async def scrape(request: Request) -> HTTPResponse:
            return scrape_response(request)

        return bp
