"""Talking to a running stack as a customer, or an attacker, would: REST, socket.io, signed SMS."""

from __future__ import annotations

import itertools
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

import requests
import socketio
from twilio.request_validator import RequestValidator

REPLY_WAIT_SECONDS = 60
QUIET_SECONDS = 1.5  # Rasa sends a reply as several messages with no end marker
_phones = itertools.count(200)


def text_of(replies: Iterable[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def new_sender() -> str:
    return f"attack-{uuid.uuid4().hex}"


class Rest:
    def __init__(self, rest_url: str) -> None:
        self.url = rest_url

    def say(self, sender: str, text: str, client_ip: str = "") -> str:
        """The bot's texts for ``text``; ``client_ip`` poses as that client (X-Forwarded-For)."""
        headers = {"X-Forwarded-For": client_ip} if client_ip else {}
        response = requests.post(
            self.url, json={"sender": sender, "message": text}, headers=headers, timeout=REPLY_WAIT_SECONDS
        )
        assert response.status_code == 200, response.text
        return text_of(response.json())


class Sms:
    def __init__(self, rasa_url: str, auth_token: str) -> None:
        self.url = rasa_url + "/webhooks/sms/webhook"
        self.validator = RequestValidator(auth_token)

    @staticmethod
    def new_phone() -> str:
        return f"+1555556{next(_phones):04d}"

    @staticmethod
    def fields(phone: str, body: str, message_sid: str = "") -> dict[str, str]:
        return {
            "MessageSid": message_sid or "SM" + uuid.uuid4().hex,
            "From": phone,
            "To": "+15555550100",
            "Body": body,
            "NumMedia": "0",
        }

    def post(self, fields: dict[str, str], signed_url: str = "", **kwargs: Any) -> requests.Response:
        signature = self.validator.compute_signature(signed_url or self.url, fields)
        headers = {"X-Twilio-Signature": signature, **kwargs.pop("headers", {})}
        return requests.post(self.url, data=fields, headers=headers, timeout=REPLY_WAIT_SECONDS, **kwargs)

    def text(self, phone: str, body: str) -> str:
        response = self.post(self.fields(phone, body))
        assert response.status_code == 200, response.text
        return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))


class Socket:
    """One socket.io connection (polling), recording what it receives."""

    def __init__(self, rasa_url: str, client_ip: str = "") -> None:
        self.received: list[str] = []
        self.tokens: list[str] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", lambda data: self.received.append((data or {}).get("text") or ""))
        self.client.on("session_confirm", lambda token: self.tokens.append(token))
        headers = {"X-Forwarded-For": client_ip} if client_ip else {}
        self.client.connect(rasa_url, socketio_path="/socket.io", transports=["polling"], headers=headers)

    def request_session(self, session_id: str | None = None, wait: float = 1.0) -> str:
        self.client.emit("session_request", {"session_id": session_id} if session_id else {})
        self.client.sleep(wait)
        assert self.tokens, "no session_confirm"
        return self.tokens[-1]

    def send(self, text: str, session_id: str | None = None) -> str:
        """Send ``text`` (claiming ``session_id``, by default the confirmed token); the reply."""
        before = len(self.received)
        claim = session_id if session_id is not None else (self.tokens[-1] if self.tokens else None)
        self.client.emit("user_uttered", {"message": text, "session_id": claim})
        return "\n".join(self.wait_for_reply(before))

    def wait_for_reply(self, before: int) -> list[str]:
        """The messages after the first ``before``, once none has come for a moment (or nothing came)."""
        deadline = time.monotonic() + REPLY_WAIT_SECONDS
        count, quiet_since = len(self.received), time.monotonic()
        while time.monotonic() < deadline:
            self.client.sleep(0.2)
            if len(self.received) != count:
                count, quiet_since = len(self.received), time.monotonic()
            elif count > before and time.monotonic() - quiet_since > QUIET_SECONDS:
                break
        return self.received[before:]

    def close(self) -> None:
        self.client.disconnect()


def metrics_request(url: str, token: str) -> urllib.request.Request:
    """A Prometheus scrape of ``url`` with METRICS_TOKEN (bot/rasa_server/scrape.py)."""
    return urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
