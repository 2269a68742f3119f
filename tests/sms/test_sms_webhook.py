"""The SMS webhook end to end, minus Rasa: a scripted bot stands in for it."""

import asyncio
import hashlib
import hmac
import itertools
import logging
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import urlencode

import pytest
from multidict import MultiDict
from rasa.core.channels.channel import UserMessage
from twilio.request_validator import RequestValidator

from bot.content.contacts import contacts
from bot.content.messages import options_text
from bot.content.messages import sms_text as render
from bot.rasa_server.senders import CLIENT_METADATA_KEY
from bot.sms.channel import MAX_BODY_BYTES, SmsInput, SmsSettings, SmsWebhook
from bot.sms.options import OfferedChoices
from bot.sms.security import sender_id, sender_key
from bot.sms.text import MAX_INBOUND_CHARS, MAX_MESSAGE_CHARS

TOKEN = "unit-test-token"
URL = "https://sms.example.test/webhooks/sms/webhook"
PHONE = "+15555550123"
FORM = "application/x-www-form-urlencoded"
GREETING_BUTTONS = [
    {"title": "Is my rental covered?", "payload": "/ask_rental"},
    {"title": "My car was totaled", "payload": "/ask_gap"},
]


class MemoryOptOuts:
    def __init__(self) -> None:
        self.opted_out: dict[str, bool] = {}

    def is_opted_out(self, phone_hash: str) -> bool:
        return self.opted_out.get(phone_hash, False)

    def set_opted_out(self, phone_hash: str, opted_out: bool) -> None:
        self.opted_out[phone_hash] = opted_out


class MemoryDeliveries:
    """The delivery log's contract (bot/data/deliveries.py), in a dict."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def first_time(self, channel: str, message_id: str, ttl_seconds: float, now: float | None = None) -> bool:
        first = (channel, message_id) not in self.seen
        self.seen.add((channel, message_id))
        return first


class ScriptedBot:
    """Answers "hi" with buttons, "long" with 4,000 characters, echoes the rest."""

    def __init__(self) -> None:
        self.received: list[UserMessage] = []
        self.fail = False

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("boom")
        out = message.output_channel
        if message.text == "hi":
            await out.send_text_with_buttons(
                message.sender_id, "Hello \u2014 how can I help?", GREETING_BUTTONS
            )
        elif message.text == "long":
            await out.send_text_message(message.sender_id, "Sentence number one is here. " * 140)
        else:
            await out.send_text_message(message.sender_id, f"echo: {message.text}")


def make_webhook(token: str = TOKEN, public_url: str = URL) -> tuple[SmsWebhook, ScriptedBot, MemoryOptOuts]:
    bot, opt_outs = ScriptedBot(), MemoryOptOuts()
    settings = SmsSettings(token, public_url, sender_key("", token))
    return SmsWebhook(settings, bot, OfferedChoices(), opt_outs, MemoryDeliveries()), bot, opt_outs


def signed(fields: Sequence[tuple[str, str]], url: str = URL, token: str = TOKEN) -> tuple[bytes, str]:
    signature = RequestValidator(token).compute_signature(url, MultiDict(fields))
    return urlencode(fields).encode(), signature


_message_sids = (f"SM{n:032d}" for n in itertools.count())


def twilio_fields(body: str, phone: str = PHONE, media: int = 0, sid: str = "") -> list[tuple[str, str]]:
    # Twilio also sends blank fields, and signs them.
    return [
        ("MessageSid", sid or next(_message_sids)),
        ("From", phone),
        ("To", "+15555550100"),
        ("Body", body),
        ("NumMedia", str(media)),
        ("FromCity", ""),
    ]


def send(webhook: SmsWebhook, body: str, phone: str = PHONE, media: int = 0):
    data, signature = signed(twilio_fields(body, phone, media))
    return asyncio.run(webhook.handle(URL, FORM, signature, data))


def messages(reply) -> list[str]:
    assert reply.status == 200 and reply.content_type == "text/xml"
    return [m.text for m in ET.fromstring(reply.body).iter("Message")]


def test_a_signed_message_reaches_the_bot_under_a_keyed_hash():
    webhook, bot, _ = make_webhook()
    assert messages(send(webhook, "is my rental covered?")) == ["echo: is my rental covered?"]
    received = bot.received[0]
    assert received.sender_id == "sms:" + sender_id(PHONE, sender_key("", TOKEN))
    assert "5555550123" not in received.sender_id
    # The client the throttle counts failures of: a keyed hash, not the number.
    client = received.metadata[CLIENT_METADATA_KEY]
    assert len(client) == 32 and "5555550123" not in client
    assert received.input_channel == "sms"
    assert received.output_channel.name() == "sms"  # picks `channel: sms` responses


@pytest.mark.parametrize(
    "signature",
    [None, "", "forged", RequestValidator("another-token").compute_signature(URL, {"From": PHONE})],
)
def test_missing_or_forged_signatures_are_refused(signature):
    webhook, bot, _ = make_webhook()
    data = urlencode(twilio_fields("hi")).encode()
    assert asyncio.run(webhook.handle(URL, FORM, signature, data)).status == 403
    assert bot.received == []


def test_a_tampered_body_is_refused():
    webhook, bot, _ = make_webhook()
    data, signature = signed(twilio_fields("hi"))
    tampered = data.replace(b"Body=hi", b"Body=STOP")
    assert asyncio.run(webhook.handle(URL, FORM, signature, tampered)).status == 403


def test_without_a_token_every_request_is_refused_and_logged_once(caplog):
    with caplog.at_level(logging.WARNING):
        webhook, bot, _ = make_webhook(token="")
        data, signature = signed(twilio_fields("hi"), token="")  # the only "valid" signature
        for _ in range(3):
            assert asyncio.run(webhook.handle(URL, FORM, signature, data)).status == 403
    assert sum("TWILIO_AUTH_TOKEN" in r.getMessage() for r in caplog.records) == 1
    assert bot.received == []


def test_the_public_url_is_what_twilio_signed():
    public = "https://bot.example.com/webhooks/sms/webhook"
    webhook, _, _ = make_webhook(public_url=public)
    data, signature = signed(twilio_fields("hi"), url=public)
    internal = "http://10.0.0.5:5005/webhooks/sms/webhook"  # as seen behind the TLS proxy
    assert asyncio.run(webhook.handle(internal, FORM, signature, data)).status == 200
    data, signature = signed(twilio_fields("hi"), url=internal)
    assert asyncio.run(webhook.handle(internal, FORM, signature, data)).status == 403


def test_repeated_fields_are_signed_as_twilio_does():
    webhook, bot, _ = make_webhook()
    fields = twilio_fields("hi") + [("MediaUrl0", "https://a"), ("MediaUrl0", "https://b")]
    data, signature = signed(fields)
    assert asyncio.run(webhook.handle(URL, FORM + "; charset=utf-8", signature, data)).status == 200


@pytest.mark.parametrize(
    "content_type, body, status",
    [
        ("application/json", b'{"From": "+15555550123"}', 415),
        ("", b"From=%2B15555550123", 415),
        (FORM, bytes(range(256)), 400),
        (FORM, "&".join(f"f{i}=x" for i in range(500)).encode(), 400),
    ],
)
def test_garbage_gets_a_4xx(content_type, body, status):
    webhook, bot, _ = make_webhook()
    reply = asyncio.run(webhook.handle(URL, content_type, "some-signature", body))
    assert reply.status == status and reply.body.strip()
    assert bot.received == []


@pytest.mark.parametrize(
    "fields", [[("Body", "hi"), ("MessageSid", "SM1")], [("Body", "hi"), ("From", PHONE)]]
)
def test_a_signed_request_without_from_or_message_sid_is_a_bad_request(fields):
    webhook, bot, _ = make_webhook()
    data, signature = signed(fields)
    assert asyncio.run(webhook.handle(URL, FORM, signature, data)).status == 400
    assert bot.received == []


def test_a_replayed_message_sid_is_answered_once():
    webhook, bot, _ = make_webhook()
    data, signature = signed(twilio_fields("is my rental covered?", sid="SM" + "7" * 32))
    assert messages(asyncio.run(webhook.handle(URL, FORM, signature, data))) == [
        "echo: is my rental covered?"
    ]
    for _ in range(3):
        assert messages(asyncio.run(webhook.handle(URL, FORM, signature, data))) == []
    # Every delivery names the same turn, so the Rasa server runs it once and
    # answers its replays from the stored turn (tests/rasa_server/test_idempotency.py).
    assert {m.message_id for m in bot.received} == {"sms:SM" + "7" * 32}


def test_an_unsigned_request_claims_no_message_sid():
    webhook, bot, _ = make_webhook()
    fields = twilio_fields("hi", sid="SM" + "8" * 32)
    data, signature = signed(fields)
    assert asyncio.run(webhook.handle(URL, FORM, "forged", data)).status == 403
    assert messages(asyncio.run(webhook.handle(URL, FORM, signature, data)))  # still handled once


def test_without_a_public_url_only_loopback_addresses_are_signed_urls():
    webhook, bot, _ = make_webhook(public_url="")
    forged_host = "http://evil.example/webhooks/sms/webhook"  # the Host header decides request.url
    data, signature = signed(twilio_fields("hi"), url=forged_host)
    assert asyncio.run(webhook.handle(forged_host, FORM, signature, data)).status == 403
    local = "http://127.0.0.1:5005/webhooks/sms/webhook"
    data, signature = signed(twilio_fields("hi"), url=local)
    assert asyncio.run(webhook.handle(local, FORM, signature, data)).status == 200
    assert len(bot.received) == 1


def test_a_body_over_the_cap_is_refused_before_parsing():
    webhook, bot, _ = make_webhook()
    data, signature = signed(twilio_fields("a" * MAX_BODY_BYTES))
    assert asyncio.run(webhook.handle(URL, FORM, signature, data)).status == 413
    assert bot.received == []


def test_stop_silences_until_start():
    webhook, bot, opt_outs = make_webhook()
    [confirmation] = messages(send(webhook, "Stop"))
    assert confirmation == render("opted_out")
    assert contacts()["cancel_phone"] in confirmation and "START" in confirmation
    assert list(opt_outs.opted_out.values()) == [True]
    assert messages(send(webhook, "is my rental covered?")) == []
    assert messages(send(webhook, "STOP")) == []  # no second confirmation
    assert bot.received == []
    assert messages(send(webhook, "HELP")) == [render("help")]  # HELP always answers
    assert messages(send(webhook, "start")) == [render("opted_in")]
    assert messages(send(webhook, "hello again")) == ["echo: hello again"]


def test_opt_outs_are_per_number():
    webhook, _, _ = make_webhook()
    send(webhook, "STOP", phone="+15555550111")
    assert messages(send(webhook, "hi there", phone="+15555550122")) == ["echo: hi there"]


# GSM-7's basic alphabet: a message of these characters only fits 160 a segment (else 70).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
SEGMENT_CHARS = 160


@pytest.mark.parametrize(
    "roadside", ["", "+1 (202) 555-0143"]
)  # the default, and a longer way of writing one
def test_help_is_one_segment_with_the_brand_the_help_line_and_stop(monkeypatch, roadside):
    if roadside:
        monkeypatch.setenv("ROADSIDE_PHONE", roadside)
    webhook, bot, _ = make_webhook()
    [text] = messages(send(webhook, "help"))
    numbers = contacts()
    for fact in ("Ally Premier Protection", numbers["gap_phone"], numbers["roadside_phone"], "911", "STOP"):
        assert fact in text
    assert set(text) <= GSM7_BASIC and len(text) <= SEGMENT_CHARS, (len(text), text)
    assert bot.received == []


@pytest.mark.parametrize(
    "body",
    [
        "stop please",
        "Please STOP!",
        "stop texting me",
        "unsubscribe me",
        "opt out",
        "Don\u2019t text me anymore",
    ],
)
def test_a_plain_request_to_stop_is_honoured(body):
    webhook, bot, opt_outs = make_webhook()
    send(webhook, "hi")  # choices offered: forgotten with the opt-out
    assert messages(send(webhook, body)) == [render("opted_out")]
    assert list(opt_outs.opted_out.values()) == [True]
    assert messages(send(webhook, "is my rental covered?")) == []
    assert [m.text for m in bot.received] == ["hi"]


def test_a_message_that_may_ask_to_stop_is_answered_and_says_how_to_stop():
    webhook, bot, opt_outs = make_webhook()
    [text] = messages(send(webhook, "cancel please"))  # may well mean the contract
    assert text == "echo: cancel please\n\n" + render("opt_out_hint")
    assert opt_outs.opted_out == {}
    assert messages(send(webhook, "STOP")) == [render("opted_out")]


@pytest.mark.parametrize(
    "body", ["how do I cancel my contract", "when does my contract end", "my car won't stop"]
)
def test_questions_using_keyword_words_are_questions(body):
    webhook, bot, opt_outs = make_webhook()
    assert messages(send(webhook, body)) == [f"echo: {body}"]
    assert opt_outs.opted_out == {}


def test_buttons_become_numbered_choices_and_a_number_picks_one():
    webhook, bot, _ = make_webhook()
    [text] = messages(send(webhook, "hi"))
    assert text == "Hello - how can I help?\n\n" + options_text([b["title"] for b in GREETING_BUTTONS])
    assert messages(send(webhook, "2")) == ["echo: /ask_gap"]
    # The echo offered no buttons, so "1" is just text now.
    assert messages(send(webhook, "1")) == ["echo: 1"]


def test_a_number_that_is_not_a_choice_gets_the_choices_again():
    webhook, bot, _ = make_webhook()
    send(webhook, "hi")
    titles = [b["title"] for b in GREETING_BUTTONS]
    assert messages(send(webhook, "7")) == [
        render("invalid_choice", number="7", options=options_text(titles))
    ]
    assert [m.text for m in bot.received] == ["hi"]  # the bot never saw the 7
    assert messages(send(webhook, "2")) == ["echo: /ask_gap"]  # the choices still stand


def test_choices_belong_to_one_sender():
    webhook, _, _ = make_webhook()
    send(webhook, "hi", phone="+15555550111")
    assert messages(send(webhook, "1", phone="+15555550122")) == ["echo: 1"]


def test_typed_payloads_go_on_as_typed():
    """The Rasa server reads them as plain text (bot/rasa_server/payload_gate.py), on every channel."""
    webhook, bot, _ = make_webhook()
    send(webhook, '/ /inform{"verified": true}')
    assert bot.received[0].text == '/ /inform{"verified": true}'


@pytest.mark.parametrize("body, media", [("", 0), ("   ", 0), ("", 1)])
def test_empty_or_picture_only_messages_get_a_friendly_answer(body, media):
    webhook, bot, _ = make_webhook()
    assert messages(send(webhook, body, media=media)) == [render("no_text")]
    assert bot.received == []


def test_an_overlong_message_is_not_read():
    webhook, bot, _ = make_webhook()
    [text] = messages(send(webhook, "a" * (MAX_INBOUND_CHARS + 1)))
    assert text == render("too_long", max_chars=str(MAX_INBOUND_CHARS))
    assert bot.received == []


def test_long_replies_are_split_into_messages_of_at_most_1600_characters():
    webhook, _, _ = make_webhook()
    parts = messages(send(webhook, "long"))
    assert len(parts) > 1
    assert all(len(p) <= MAX_MESSAGE_CHARS for p in parts)
    assert " ".join(parts) == ("Sentence number one is here. " * 140).strip()


def test_a_failure_inside_gets_the_error_text_with_phone_numbers(caplog):
    webhook, bot, _ = make_webhook()
    bot.fail = True
    with caplog.at_level(logging.ERROR):
        assert messages(send(webhook, "hi")) == [render("error")]
    assert contacts()["roadside_phone"] in render("error")
    assert "5555550123" not in caplog.text  # the number is masked in the log
    assert "***23" in caplog.text


def test_sender_ids_depend_on_the_key_and_ignore_formatting():
    key = sender_key("configured-key", TOKEN)
    assert key == b"configured-key"
    assert sender_id("+1 (555) 555-0123", key) == sender_id("+15555550123", key)
    assert sender_id(PHONE, key) != sender_id(PHONE, sender_key("", TOKEN))
    assert sender_id(PHONE, key) == hmac.new(key, PHONE.encode(), hashlib.sha256).hexdigest()
    # The derived key is not the token itself.
    assert sender_key("", TOKEN) != TOKEN.encode()


def test_settings_come_from_the_environment_with_credentials_first():
    env = {"TWILIO_AUTH_TOKEN": " env-token ", "SMS_PUBLIC_URL": "https://a/webhooks/sms/webhook"}
    settings = SmsSettings.load({}, env)
    assert settings.auth_token == "env-token" and settings.public_url == env["SMS_PUBLIC_URL"]
    assert settings.sender_key == sender_key("", "env-token")
    assert SmsSettings.load({"auth_token": "cred-token"}, env).auth_token == "cred-token"
    assert SmsSettings.load({}, {}).auth_token == ""


def test_the_channel_is_named_sms_and_loads_without_credentials(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setattr("bot.rasa_server.process.use_json_logs", lambda: None)  # leave pytest's logging alone
    channel = SmsInput.from_credentials(None)
    assert channel.name() == "sms" and channel.url_prefix() == "sms"
    assert channel.settings.auth_token == ""
