"""Claim updates for the chat widget: kept for the conversation's next visit, pushed at once when possible.

Two calls for the integrator (docs/claims.md):
- the Rasa server's socket.io channel calls ``take_widget_updates(conversation_id)``
  when a conversation (re)connects and shows each text once;
- the worker POSTs each update to WIDGET_PUSH_URL (a route the Rasa server
  adds), ``{"conversation_id", "notification_id", "text"}`` with
  ``Authorization: Bearer $WIDGET_PUSH_TOKEN``; the route emits it to the
  conversation's room and answers ``{"delivered": true}`` when a widget was
  connected, else ``{"delivered": false}`` (the update then waits for the next visit).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol

from bot.data import outbox
from bot.data.claims import utc_now
from bot.domain.keys import Purpose, derive
from bot.settings import Settings

PUSH_TIMEOUT_SECONDS = 5.0
# The push route, under the Rasa server's socket.io channel (bot/rasa_server/widget_claims.py).
CHANNEL_PREFIX = "/webhooks/socketio"
PUSH_ROUTE = "/claim_update"


def push_token(conf: Settings) -> str:
    """WIDGET_PUSH_TOKEN, else one derived from ASSISTANT_SECRET_KEY, which every process shares."""
    return conf.widget_push_token or derive(conf.secret_key, Purpose.WIDGET_PUSH).hex()


def push_url(conf: Settings) -> str:
    """WIDGET_PUSH_URL, else the local Rasa server's push route (`make run`; the first replica's in a topology)."""
    return conf.widget_push_url or f"http://127.0.0.1:{conf.rasa_port}{CHANNEL_PREFIX}{PUSH_ROUTE}"


class PushFailed(Exception):
    """The push endpoint could not be reached or answered with an error."""


class WidgetPush(Protocol):
    def push(self, conversation_id: str, notification_id: int, text: str) -> bool:
        """True when a connected widget was given the text."""
        ...


class HttpWidgetPush:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def push(self, conversation_id: str, notification_id: int, text: str) -> bool:
        body = json.dumps(
            {"conversation_id": conversation_id, "notification_id": notification_id, "text": text}
        ).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT_SECONDS) as response:
                answer = json.loads(response.read(4096) or b"{}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise PushFailed(type(exc).__name__) from None
        return isinstance(answer, dict) and answer.get("delivered") is True


def take_widget_updates(conversation_id: str) -> list[str]:
    """The claim updates waiting for this widget conversation, oldest first; each is returned once."""
    return outbox.take_widget_updates(conversation_id, utc_now())
