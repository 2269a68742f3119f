"""Claim updates for the chat widget: kept for the conversation's next visit, pushed at once when possible.

Two calls for the integrator (docs/claims.md):
- the Rasa server's socket.io channel calls ``take_widget_updates(conversation_id)``
  when a conversation (re)connects and shows each text once;
- the worker POSTs each update to WIDGET_PUSH_URL (a route the Rasa server
  adds; one per replica, comma-separated, since a widget is connected to one
  of them), ``{"conversation_id", "notification_id", "text"}`` with
  ``Authorization: Bearer $WIDGET_PUSH_TOKEN``; the route emits it to the
  conversation's room and answers ``{"delivered": true}`` when a widget was
  connected, else ``{"delivered": false}`` (the update then waits for the next visit).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
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


def push_route_url(address: str) -> str:
    """The push route of the Rasa server at ``address`` (host:port)."""
    return f"http://{address}{CHANNEL_PREFIX}{PUSH_ROUTE}"


def push_urls(conf: Settings) -> list[str]:
    """WIDGET_PUSH_URL (every replica's push route, comma-separated), else the local Rasa server's (`make run`)."""
    configured = [url for url in re.split(r"[,\s]+", conf.widget_push_url) if url]
    return configured or [push_route_url(f"127.0.0.1:{conf.rasa_port}")]


class PushFailed(Exception):
    """The push endpoint could not be reached or answered with an error."""


class WidgetPush(Protocol):
    def push(self, conversation_id: str, notification_id: int, text: str) -> bool:
        """True when a connected widget was given the text."""
        ...


class HttpWidgetPush:
    """Pushes to every replica's route: the widget is connected to one of them (or to none)."""

    def __init__(self, urls: Sequence[str], token: str) -> None:
        self.urls = list(urls)
        self.token = token

    def push(self, conversation_id: str, notification_id: int, text: str) -> bool:
        """True when a replica gave a connected widget the text; PushFailed when none did
        and one could not be asked (the widget may be connected to that one)."""
        body = json.dumps(
            {"conversation_id": conversation_id, "notification_id": notification_id, "text": text}
        ).encode("utf-8")
        delivered, failures = False, []
        for url in self.urls:
            try:
                delivered = self._post(url, body) or delivered
            except PushFailed as failure:
                failures.append(str(failure))
        if failures and not delivered:
            raise PushFailed(", ".join(failures))
        return delivered

    def _post(self, url: str, body: bytes) -> bool:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT_SECONDS) as response:
                answer = json.loads(response.read(4096) or b"{}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise PushFailed(type(exc).__name__) from None
        return isinstance(answer, dict) and answer.get("delivered") is True


def take_widget_updates(conversation_id: str) -> list[str]:
    """The claim updates waiting for this widget conversation, oldest first; each is returned once."""
    return outbox.take_widget_updates(conversation_id, utc_now())
