"""The SMS webhook on the running Rasa server, signed as Twilio signs."""

from __future__ import annotations

import itertools
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.content.contacts import contacts
from bot.content.faq import load_responses, response_text
from bot.content.messages import sms_text as render
from bot.content.topics import BY_INTENT
from bot.sms.text import MAX_INBOUND_CHARS, MAX_MESSAGE_CHARS, gsm_friendly

_numbers = itertools.count(100)


@pytest.fixture
def phone() -> str:
    """A fresh number per test, so conversations and opt-outs never mix."""
    return f"+1555555{next(_numbers):04d}"


class Sms:
    def __init__(self, stack) -> None:
        self.url = stack.rasa_url + "/webhooks/sms/webhook"
        self.validator = RequestValidator(stack.env["TWILIO_AUTH_TOKEN"])

    def post(self, fields: dict[str, str], signature: str | None = "sign", **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if signature == "sign":
            signature = self.validator.compute_signature(self.url, fields)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return requests.post(self.url, data=kwargs.pop("data", fields), headers=headers, timeout=60, **kwargs)

    def text(self, phone: str, body: str, media: Sequence[tuple[str, str]] = ()) -> list[str]:
        """Send ``body`` (and ``media``: (URL, content type) pairs) from ``phone``; the SMS bodies of the reply."""
        fields = {
            "MessageSid": "SM" + uuid.uuid4().hex,  # each message its own: a repeat is a replay
            "From": phone,
            "To": "+15555550100",
            "Body": body,
            "NumMedia": str(len(media)),
            "FromCity": "",
        }
        for n, (url, content_type) in enumerate(media):
            fields.update({f"MediaUrl{n}": url, f"MediaContentType{n}": content_type})
        response = self.post(fields)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/xml")
        bodies = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
        assert all(len(b) <= MAX_MESSAGE_CHARS for b in bodies)
        return bodies


@pytest.fixture(scope="module")
def sms(stack) -> Sms:
    return Sms(stack)


def _sms_answer(intent: str) -> str:
    """What the bot says for ``intent`` on SMS: its `channel: sms` variant, if it has one."""
    return gsm_friendly(
        response_text(load_responses(), BY_INTENT[intent].response, contacts(), channel="sms")
    )


def test_a_signed_message_gets_the_bots_answer_as_twiml(sms: Sms, phone: str):
    reply = "\n".join(sms.text(phone, "how do I cancel"))
    assert contacts()["cancel_phone"] in reply
    assert _sms_answer("ask_cancel") in reply


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_missing_or_forged_signatures_get_403(sms: Sms, phone: str, signature):
    assert sms.post({"From": phone, "Body": "hi"}, signature=signature).status_code == 403


def test_a_signature_for_another_body_gets_403(sms: Sms, phone: str):
    signature = sms.validator.compute_signature(sms.url, {"From": phone, "Body": "hi"})
    assert sms.post({"From": phone, "Body": "STOP"}, signature=signature).status_code == 403


def test_stop_silences_the_number_until_start(sms: Sms, phone: str):
    [confirmation] = sms.text(phone, "STOP")
    assert confirmation == gsm_friendly(render("opted_out"))
    assert contacts()["cancel_phone"] in confirmation  # CANCEL is a carrier keyword too
    assert sms.text(phone, "is my rental covered?") == []
    assert sms.text(phone, "HELP") == [gsm_friendly(render("help"))]
    assert sms.text(phone, "Start") == [gsm_friendly(render("opted_in"))]
    assert _sms_answer("ask_rental") in "\n".join(sms.text(phone, "is my rental covered?"))


def test_help_gives_the_help_and_roadside_numbers(sms: Sms, phone: str):
    [text] = sms.text(phone, "help")
    for name in ("roadside_phone", "gap_phone"):
        assert contacts()[name] in text
    assert "911" in text and "STOP" in text


def test_stop_in_other_words_is_honoured(sms: Sms, phone: str):
    assert sms.text(phone, "stop texting me please") == [gsm_friendly(render("opted_out"))]
    assert sms.text(phone, "is my rental covered?") == []


def test_a_number_that_is_not_a_choice_repeats_the_choices(sms: Sms, phone: str):
    offer = "\n".join(sms.text(phone, "hi"))
    greeting = load_responses()["utter_greet"]
    buttons = next((v for v in greeting if v.get("channel") == "sms"), greeting[0])["buttons"]
    [again] = sms.text(phone, str(len(buttons) + 1))
    assert again.startswith(f"There's no choice {len(buttons) + 1}.")
    assert all(f'{n} for "{b["title"]}"' in again for n, b in enumerate(buttons, 1))
    assert offer.endswith(again.split(". ", 1)[1])


def test_buttons_become_numbered_options_and_1_picks_the_first(sms: Sms, phone: str):
    greeting = load_responses()["utter_greet"]
    buttons = next((v for v in greeting if v.get("channel") == "sms"), greeting[0])["buttons"]
    offer = "\n".join(sms.text(phone, "hi"))
    assert all(f'{n} for "{b["title"]}"' in offer for n, b in enumerate(buttons, 1))
    first_intent = buttons[0]["payload"].lstrip("/")
    assert _sms_answer(first_intent) in "\n".join(sms.text(phone, "1"))


def test_an_empty_or_picture_only_message_gets_a_friendly_answer(sms: Sms, phone: str):
    assert sms.text(phone, "") == [gsm_friendly(render("no_text"))]


def test_a_huge_message_is_declined_politely(sms: Sms, phone: str):
    assert sms.text(phone, "x" * 20_000) == [
        gsm_friendly(render("too_long", max_chars=str(MAX_INBOUND_CHARS)))
    ]


@pytest.mark.parametrize(
    "data, content_type, signature, status",
    [
        (bytes(range(256)) * 4, "application/x-www-form-urlencoded", "junk", 400),
        (b'{"From": "+15555550123", "Body": "hi"}', "application/json", "junk", 415),
        (b"Body=hi", "application/x-www-form-urlencoded", "valid", 400),  # no From
        (b"\x00\xff" * 50_000, "application/octet-stream", None, 413),  # over 64 KB: refused unread
    ],
)
def test_garbage_never_gets_a_5xx(sms: Sms, data: bytes, content_type: str, signature, status: int):
    if signature == "valid":
        signature = sms.validator.compute_signature(sms.url, {"Body": "hi"})
    response = sms.post({}, signature=signature, data=data, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
