"""SMS channel: Twilio's webhook in, a TwiML reply out (Rasa input channel "sms").

Registered in credentials.yml as ``bot.sms.channel.SmsInput``; Twilio posts to
``/webhooks/sms/webhook``. The reply goes back in the webhook's own response
(TwiML), so there is no outbound API call and no Twilio account SID to manage.

Settings come from the environment (a ``${VAR}`` in credentials.yml stops Rasa
when the variable is unset, and the channel must instead fail closed):
``TWILIO_AUTH_TOKEN`` (without it every request is refused), ``SMS_PUBLIC_URL``
(the exact URL configured in Twilio: the URL the signature covers) and
``SMS_SENDER_KEY`` (the key that turns phone numbers into sender ids). Keys
``auth_token``, ``public_url`` and ``sender_key`` under the credentials entry,
when given, take precedence.

In order, before any work: a body over ``MAX_BODY_BYTES`` is refused unread
(a streaming route), the signature is checked against SMS_PUBLIC_URL (without
it, only a request addressed to a loopback host is accepted, so a forged Host
header never chooses the signed URL), and a ``MessageSid`` already handled is
answered with nothing (bot/data/deliveries.py, shared by every replica).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from multidict import MultiDict
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.claims.contacts import remember_sms_number
from bot.content.messages import options_text, sms_text
from bot.data.deliveries import MAX_MESSAGE_ID_CHARS, DeliveryLog, delivery_log
from bot.domain.identity import mask_phone
from bot.rasa_server import process as rasa_process
from bot.rasa_server.bodies import BodyTooLarge, read_capped
from bot.rasa_server.guard import guarded
from bot.rasa_server.idempotency import delivery_message_id
from bot.rasa_server.senders import client_metadata, conversation_id
from bot.rasa_server.verified import verified_contract_of
from bot.settings import DEFAULT_DELIVERY_MEMORY_SECONDS, settings
from bot.settings import load as load_settings
from bot.sms.media import VerifiedContract, attachments, take_attachments
from bot.sms.options import Choice, OfferedChoices
from bot.sms.security import sender_id, sender_key, signature_valid
from bot.sms.text import (
    MAX_INBOUND_CHARS,
    Keyword,
    OptOutRequest,
    gsm_friendly,
    keyword,
    opt_out_request,
    option_number,
    split_message,
    twiml,
)

log = logging.getLogger(__name__)
# Twilio gives up on a webhook after 15 s: answer (at worst with the guard's notice) before that.
SMS_REPLY_TIMEOUT_SECONDS = 12.0

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# Twilio sends a few dozen fields; far more is not Twilio.
MAX_FORM_FIELDS = 200
# A Twilio webhook body is a few kilobytes (1,600 characters of text at most).
MAX_BODY_BYTES = 64 * 1024
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


async def _nothing_verified(_: str) -> str | None:
    """A webhook that can't read conversations (no Rasa agent) attaches no document."""
    return None


class OptOutStore(Protocol):
    """Blocking opt-out storage keyed by sender id (called in a thread)."""

    def is_opted_out(self, phone_hash: str) -> bool: ...

    def set_opted_out(self, phone_hash: str, opted_out: bool) -> None: ...


class DatabaseOptOuts:
    """Opt-outs in the contracts database (table sms_opt_outs)."""

    def is_opted_out(self, phone_hash: str) -> bool:
        from bot.data.services import is_sms_opted_out

        return is_sms_opted_out(phone_hash)

    def set_opted_out(self, phone_hash: str, opted_out: bool) -> None:
        from bot.data.services import set_sms_opt_out

        set_sms_opt_out(phone_hash, opted_out)


@dataclass(frozen=True)
class SmsSettings:
    auth_token: str
    public_url: str  # "": the URL the request arrived at, if it is addressed to loopback
    sender_key: bytes
    replay_memory_seconds: float = DEFAULT_DELIVERY_MEMORY_SECONDS

    @classmethod
    def load(cls, credentials: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> SmsSettings:
        """credentials.yml's values, else the environment's (this process's settings by default)."""
        env = settings() if environ is None else load_settings(environ)

        def setting(key: str, from_env: str) -> str:
            return str(credentials.get(key) or from_env).strip()

        token = setting("auth_token", env.twilio_auth_token)
        return cls(
            token,
            setting("public_url", env.sms_public_url),
            sender_key(setting("sender_key", env.sms_sender_key), token),
            env.delivery_memory_seconds,
        )

    def signed_url(self, request_url: str) -> str | None:
        """The URL Twilio signed: SMS_PUBLIC_URL, else the request's own if it is addressed to loopback."""
        if self.public_url:
            return self.public_url
        return request_url if urlsplit(request_url).hostname in LOOPBACK_HOSTS else None


@dataclass(frozen=True)
class WebhookReply:
    status: int
    body: str
    content_type: str = "text/xml"


class SmsOutput(CollectingOutputChannel):
    """Collects the bot's messages for the TwiML reply.

    Named "sms" so that domain responses with ``channel: sms`` are chosen.
    """

    @classmethod
    def name(cls) -> str:
        return "sms"


def _text(key: str, **variables: str) -> list[str]:
    """One of the channel's own texts (sms_messages.yml), as SMS bodies."""
    return [gsm_friendly(sms_text(key, **variables))]


def _refuse(status: int, reason: str) -> WebhookReply:
    log.warning("SMS webhook refused a request (%d): %s", status, reason)
    return WebhookReply(status, reason + "\n", "text/plain")


class SmsWebhook:
    """One webhook request in, one reply out; no web framework involved."""

    def __init__(
        self,
        settings: SmsSettings,
        on_new_message: OnNewMessage,
        choices: OfferedChoices,
        opt_outs: OptOutStore,
        deliveries: DeliveryLog,
        verified_contract: VerifiedContract = _nothing_verified,
    ) -> None:
        self.settings = settings
        self.on_new_message = on_new_message
        self.choices = choices
        self.opt_outs = opt_outs
        self.deliveries = deliveries
        self.verified_contract = verified_contract
        # Said once, at startup, not on every refusal.
        if not settings.auth_token:
            log.warning("TWILIO_AUTH_TOKEN is not set: the SMS channel refuses every request")
        elif not settings.public_url:
            log.warning(
                "SMS_PUBLIC_URL is not set: the SMS channel accepts only requests addressed to loopback"
            )

    async def handle(self, url: str, content_type: str, signature: str | None, body: bytes) -> WebhookReply:
        if not self.settings.auth_token:
            return WebhookReply(403, "SMS channel not configured\n", "text/plain")
        if not signature:
            return _refuse(403, "missing X-Twilio-Signature header")
        if content_type.split(";")[0].strip().lower() != FORM_CONTENT_TYPE:
            return _refuse(415, f"expected {FORM_CONTENT_TYPE}")
        if len(body) > MAX_BODY_BYTES:
            return _refuse(413, f"body over {MAX_BODY_BYTES} bytes")
        try:
            fields = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except (UnicodeDecodeError, ValueError):
            return _refuse(400, "body is not UTF-8 form data of a reasonable size")
        signed_url = self.settings.signed_url(url)
        if signed_url is None:
            return _refuse(403, "SMS_PUBLIC_URL is not set, and the request is not addressed to loopback")
        if not signature_valid(self.settings.auth_token, signed_url, fields, signature):
            return _refuse(403, "invalid X-Twilio-Signature")
        form = MultiDict(fields)
        phone = form.get("From", "").strip()
        message_sid = form.get("MessageSid", "").strip()
        if not phone or not message_sid or len(message_sid) > MAX_MESSAGE_ID_CHARS:
            return _refuse(400, "missing From, or missing or overlong MessageSid")
        try:
            bodies = await self._reply(sender_id(phone, self.settings.sender_key), phone, form, message_sid)
            # Claimed after the turn: a replay (or Twilio retrying a request whose
            # replica died after storing the turn) runs nothing again
            # (bot/rasa_server/idempotency.py), and only the first delivery answers.
            first = await asyncio.to_thread(
                self.deliveries.first_time, "sms", message_sid, self.settings.replay_memory_seconds
            )
            if not first:
                log.info("SMS replay of an already answered message answered with nothing")
                return WebhookReply(200, twiml([]))
        except Exception:
            log.exception("SMS from %s failed; sent the error text", mask_phone(phone))
            bodies = _text("error")
        return WebhookReply(200, twiml(bodies))

    async def _reply(self, sender: str, phone: str, form: MultiDict[str], message_sid: str) -> list[str]:
        text = form.get("Body", "")
        word = keyword(text)
        if word is Keyword.OPT_IN:
            await asyncio.to_thread(self.opt_outs.set_opted_out, sender, False)
            return _text("opted_in")
        if word is Keyword.HELP:  # carriers require HELP to answer even after STOP
            return _text("help")
        if await asyncio.to_thread(self.opt_outs.is_opted_out, sender):
            return []  # silence until START
        request = opt_out_request(text) if word is None else None
        if word is Keyword.OPT_OUT or request is OptOutRequest.CLEAR:
            await asyncio.to_thread(self.opt_outs.set_opted_out, sender, True)
            self.choices.remember(sender, ())
            return _text("opted_out")
        await self._remember_number(sender, phone)
        media = attachments(form)
        if media:
            # The pictures are the message: a caption ("here you go") is not read as a question.
            self.choices.remember(sender, ())
            replies = await take_attachments(conversation_id("sms", sender), media, self.verified_contract)
            return split_message(gsm_friendly("\n\n".join(replies)))
        bodies = await self._converse(sender, text, message_sid)
        if (
            request is OptOutRequest.UNSURE
        ):  # "cancel please" may mean the contract: answer, and say how to stop
            bodies = split_message("\n\n".join([*bodies, *_text("opt_out_hint")]))
        return bodies

    @staticmethod
    async def _remember_number(sender: str, phone: str) -> None:
        """Keep the number (encrypted) so a claim opened here can be texted its updates (docs/claims.md)."""
        try:
            await asyncio.to_thread(remember_sms_number, sender, phone)
        except Exception:  # the reply matters more than the stored number
            log.exception("SMS number of %s not stored", mask_phone(phone))

    async def _converse(self, sender: str, text: str, message_sid: str) -> list[str]:
        if len(text) > MAX_INBOUND_CHARS:
            return _text("too_long", max_chars=str(MAX_INBOUND_CHARS))
        number = option_number(text)
        choice = self.choices.pick(sender, number) if number is not None else None
        offered = self.choices.offered(sender)
        if number is not None and choice is None and offered:
            # Not one of the numbers just offered: the same choices again, not "I didn't get that".
            options = options_text([c.title for c in offered])
            return _text("invalid_choice", number=str(number), options=options)
        # A typed "/payload" goes on as typed: the Rasa server reads it as plain
        # text unless it is one of the buttons just offered (bot/rasa_server/payload_gate.py).
        message = choice.payload if choice else text.strip()
        if not message:  # empty (pictures are documents, taken before)
            return _text("no_text")
        collector = SmsOutput()
        await self.on_new_message(
            UserMessage(
                message,
                collector,
                conversation_id("sms", sender),
                input_channel="sms",
                message_id=delivery_message_id("sms", message_sid),
                metadata=client_metadata("phone", sender),
            )
        )
        return self._bodies(sender, collector.messages)

    def _bodies(self, sender: str, messages: Sequence[dict[str, Any]]) -> list[str]:
        """The bot's texts as SMS bodies; the last buttons become numbered choices."""
        texts = [m["text"] for m in messages if m.get("text")]
        buttons: list[dict[str, Any]] = next(
            (m["buttons"] for m in reversed(messages) if m.get("buttons")), []
        )
        choices = [Choice(b["title"], b["payload"]) for b in buttons]
        self.choices.remember(sender, choices)
        if choices:
            texts.append(options_text([c.title for c in choices]))
        return split_message(gsm_friendly("\n\n".join(texts)))


class SmsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        rasa_process.use_json_logs()  # before the settings can warn about a missing token
        return cls(SmsSettings.load(credentials or {}))

    def __init__(
        self,
        settings: SmsSettings,
        opt_outs: OptOutStore | None = None,
        deliveries: DeliveryLog | None = None,
    ) -> None:
        self.settings = settings
        self.opt_outs = opt_outs or DatabaseOptOuts()
        self.deliveries = deliveries or delivery_log()
        self.choices = OfferedChoices()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        # The guard every channel shares (rate limits, timeouts, and a notice
        # with the phone numbers when the bot fails or stays silent) is in
        # `guarded`; its failure watch is installed by rasa_process.prepare.
        sms_webhook = Blueprint("sms_webhook", __name__)
        server: list[Sanic] = []  # the app, kept at start: its agent reads the conversations

        async def verified_contract(conversation: str) -> str | None:
            return await verified_contract_of(server[0].ctx.agent, conversation) if server else None

        webhook = SmsWebhook(
            self.settings,
            guarded(on_new_message, SMS_REPLY_TIMEOUT_SECONDS),
            self.choices,
            self.opt_outs,
            self.deliveries,
            verified_contract,
        )

        @sms_webhook.listener("before_server_start")
        async def keep_app(app: Sanic, _: Any) -> None:
            server.append(app)

        @sms_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sms_webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = await read_capped(request, MAX_BODY_BYTES)
            except BodyTooLarge:
                reply = _refuse(413, f"body over {MAX_BODY_BYTES} bytes")
                return response.text(reply.body, status=reply.status, content_type=reply.content_type)
            reply = await webhook.handle(
                request.url,
                request.headers.get("content-type", ""),
                request.headers.get("x-twilio-signature"),
                body,
            )
            return response.text(reply.body, status=reply.status, content_type=reply.content_type)

        return rasa_process.prepare(sms_webhook)
