"""MMS documents over the SMS webhook: every attachment of a signed message, for the verified claim only."""

from __future__ import annotations

import asyncio

from bot.claims.contacts import sms_number
from bot.claims.summary import claim_status_summary
from bot.content.messages import claims_text
from bot.sms.channel import SmsSettings, SmsWebhook
from bot.sms.media import attachments
from bot.sms.options import OfferedChoices
from bot.sms.security import sender_id, sender_key
from tests.sms.test_sms_webhook import (
    FORM,
    PHONE,
    TOKEN,
    URL,
    MemoryDeliveries,
    MemoryOptOuts,
    ScriptedBot,
    messages,
    signed,
    twilio_fields,
)
from tests.support import samples
from tests.support.claims import CONTRACT
from tests.support.twilio_standin import Media

SENDER = sender_id(PHONE, sender_key("", TOKEN))
CONVERSATION = "sms:" + SENDER


def webhook_verified_for(contract: str | None) -> tuple[SmsWebhook, ScriptedBot, list[str]]:
    """A webhook whose conversations' stored proof names ``contract`` (None: nothing verified)."""
    asked: list[str] = []

    async def verified_contract(conversation: str) -> str | None:
        asked.append(conversation)
        return contract

    bot = ScriptedBot()
    settings = SmsSettings(TOKEN, URL, sender_key("", TOKEN))
    return (
        SmsWebhook(settings, bot, OfferedChoices(), MemoryOptOuts(), MemoryDeliveries(), verified_contract),
        bot,
        asked,
    )


def mms(webhook: SmsWebhook, media: list[tuple[str, str]], body: str = "") -> list[str]:
    fields = twilio_fields(body, media=len(media))
    for n, (url, content_type) in enumerate(media):
        fields += [(f"MediaUrl{n}", url), (f"MediaContentType{n}", content_type)]
    data, signature = signed(fields)
    return messages(asyncio.run(webhook.handle(URL, FORM, signature, data)))


def test_every_attachment_is_confirmed_by_name_with_its_review_date(api, claim_ref):
    webhook, bot, asked = webhook_verified_for(CONTRACT)
    urls = [api.add_media("ME1", Media(samples.jpeg())), api.add_media("ME2", Media(samples.png()))]
    text = "\n".join(mms(webhook, [(urls[0], "image/jpeg"), (urls[1], "image/png")], body="here you go"))
    assert "photo 1.jpg" in text and "photo 2.png" in text and claim_ref in text
    summary = claim_status_summary(CONTRACT)
    assert [name for name, _ in summary.documents] == ["photo 1.jpg", "photo 2.png"]
    assert f"{summary.review_due:%B} {summary.review_due.day}" in text
    assert asked == [CONVERSATION]  # the proof of this SMS conversation, no other
    assert bot.received == []  # the caption is not read as a question


def test_unverified_sender_is_asked_to_verify_and_nothing_is_fetched(api, claim_ref):
    webhook, _, _ = webhook_verified_for(None)
    url = api.add_media("ME1", Media(samples.jpeg()))
    assert mms(webhook, [(url, "image/jpeg"), (url, "image/jpeg")]) == [claims_text("not_verified")]
    assert api.requests == []
    assert claim_status_summary(CONTRACT).documents == ()


def test_without_an_open_claim_the_customer_is_offered_to_start_one(api, conf):
    webhook, _, _ = webhook_verified_for(CONTRACT)
    url = api.add_media("ME1", Media(samples.jpeg()))
    [text] = mms(webhook, [(url, "image/jpeg")])
    assert text == claims_text("no_open_claim")
    assert "start a GAP claim" in text


def test_a_video_is_refused_unfetched_and_the_picture_next_to_it_is_kept(api, claim_ref):
    webhook, _, _ = webhook_verified_for(CONTRACT)
    video = api.add_media("ME1", Media(b"\x00\x00\x00\x18ftyp3gp4", content_type="video/3gpp"))
    photo = api.add_media("ME2", Media(samples.jpeg()))
    text = "\n".join(mms(webhook, [(video, "video/3gpp"), (photo, "image/jpeg")]))
    assert "can't accept that file type" in text and "photo 2.jpg" in text
    assert [path for _, path, _ in api.requests] == [photo.removeprefix(api.url)]


def test_media_from_elsewhere_is_never_fetched(api, claim_ref):
    webhook, _, _ = webhook_verified_for(CONTRACT)
    assert mms(webhook, [("http://169.254.169.254/latest/meta-data/", "image/jpeg")]) == [
        claims_text("media_unavailable")
    ]
    assert claim_status_summary(CONTRACT).documents == ()


def test_a_signed_message_keeps_the_number_encrypted_for_updates(conf):
    webhook, _, _ = webhook_verified_for(None)
    data, signature = signed(twilio_fields("hi"))
    asyncio.run(webhook.handle(URL, FORM, signature, data))
    assert sms_number(SENDER) == PHONE


def test_attachments_are_read_in_order_and_bounded_by_twilios_limit():
    form = {"NumMedia": "12", **{f"MediaUrl{n}": f"https://api.twilio.com/m/{n}" for n in range(12)}}
    form["MediaContentType0"] = "Image/JPEG"
    found = attachments(form)
    assert [a.url for a in found] == [f"https://api.twilio.com/m/{n}" for n in range(10)]
    assert found[0].content_type == "image/jpeg"
    assert attachments({"NumMedia": "two", "MediaUrl0": "x"}) == []
    assert attachments({"NumMedia": "1"}) == []  # a count without a URL is no attachment
