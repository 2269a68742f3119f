"""Texts out through Twilio's REST API (twilio's Python client), at TWILIO_API_URL.

``TwilioSender.send`` creates one Message; ``find_sent`` looks for a message
already created for the same number and body since a given time, which is how
the worker reconciles a delivery whose outcome it never learned (Twilio's
Messages API takes no idempotency key; docs/claims.md, "The outbox").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.settings import Settings

# Far below the worker's lease, so a request is over long before anyone reconciles it.
REQUEST_TIMEOUT_SECONDS = 15.0
# How far back reconciliation looks: this many of the number's newest messages.
RECONCILE_LIMIT = 100
CLOCK_SKEW = timedelta(minutes=1)
# The client logs whole requests (numbers included) at INFO: keep it to warnings.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class SendFailed(Exception):
    """Twilio answered with an error; ``permanent`` when retrying cannot help (e.g. an invalid number)."""

    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.permanent = permanent


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str | None


class Sender(Protocol):
    def send(self, to: str, body: str, status_callback: str) -> Sent: ...

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None: ...


def configured(conf: Settings) -> bool:
    return bool(conf.twilio_account_sid and conf.twilio_auth_token and conf.twilio_from_number)


class TwilioSender:
    def __init__(self, conf: Settings, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        self.from_number = conf.twilio_from_number
        self.client = Client(
            conf.twilio_account_sid, conf.twilio_auth_token, http_client=TwilioHttpClient(timeout=timeout)
        )
        self.client.api.base_url = conf.twilio_api_url

    def send(self, to: str, body: str, status_callback: str) -> Sent:
        try:
            message = self.client.messages.create(
                to=to, from_=self.from_number, body=body, status_callback=status_callback
            )
        except TwilioRestException as exc:
            # 4xx other than 429 means this request will never succeed as it is.
            permanent = 400 <= exc.status < 500 and exc.status != 429
            raise SendFailed(f"Twilio {exc.status} error {exc.code}", permanent=permanent) from None
        return Sent(str(message.sid), message.status)

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None:
        """The newest message to ``to`` with ``body`` created since ``since`` (less clock skew).

        Filtered by creation time here, not by Twilio's DateSent (empty while a
        message is still queued); Twilio lists the newest messages first.
        """
        earliest = since - CLOCK_SKEW
        try:
            messages = self.client.messages.list(to=to, from_=self.from_number, limit=RECONCILE_LIMIT)
        except TwilioRestException as exc:
            raise SendFailed(f"Twilio {exc.status} error {exc.code}", permanent=False) from None
        for message in messages:
            created = message.date_created
            if message.body == body and (created is None or created >= earliest):
                return Sent(str(message.sid), message.status)
        return None
