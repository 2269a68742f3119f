"""The claims center over the channels, on the running stack: status after identity (REST and
SMS), documents by MMS (media behind basic auth on the local Twilio stand-in), upload links
(valid, expired, forged), and a clerk's status change texted to the number that opened the claim."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import requests
from itsdangerous import TimestampSigner

from bot.claims.links import upload_token
from bot.content.messages import claims_text, render
from bot.settings import load
from tests.e2e.conftest import TWILIO_FROM, Stack, bot_cli
from tests.e2e.test_claims import set_status, wait_for_messages
from tests.e2e.test_rest import say, text_of
from tests.e2e.test_sms import Sms
from tests.support import samples
from tests.support.twilio_standin import Media, TwilioStandIn

# Demo contracts with GAP that no other e2e test files a claim on.
MOCKRIDGE = "Mockridge 80202 1C4RJFBGXPC604715"  # APP-100109, over SMS
NUNEZ = "Núñez 78701 2T1BURHE4NC073158"  # APP-100102, over REST
PHONE = "+13035550142"
REFERENCE = re.compile(r"GAP-[A-Z0-9]{8}")
LINK = re.compile(r"http://\S+/claims/upload/\S+")


def show(stack: Stack, reference: str) -> dict:
    """`python -m bot claims show REF --json`."""
    return json.loads(bot_cli(stack, "claims", "show", reference, "--json"))


def reference_in(text: str) -> str:
    found = REFERENCE.search(text)
    assert found, text
    return found.group(0)


def upload(link: str, name: str, data: bytes) -> requests.Response:
    return requests.post(
        link, files={"document": (name, data)}, headers={"Accept": "application/json"}, timeout=60
    )


def test_sms_journey_status_mms_and_the_clerks_update(stack: Stack, twilio: TwilioStandIn) -> None:
    sms = Sms(stack)
    before = "\n".join(sms.text(PHONE, "where is my GAP claim?"))
    assert "check your own contract" in before and not REFERENCE.search(before)

    # Pictures before verification: asked to verify first, nothing fetched.
    photo = twilio.add_media("ME1", Media(samples.jpeg(gps=True)))
    assert sms.text(PHONE, "", [(photo, "image/jpeg")]) == [claims_text("not_verified")]
    assert twilio.requests == []

    sms.text(PHONE, "start my GAP claim")
    sms.text(PHONE, MOCKRIDGE)
    reference = reference_in("\n".join(sms.text(PHONE, "yes")))

    scan = twilio.add_media("ME2", Media(samples.pdf(), content_type="application/pdf"))
    received = "\n".join(sms.text(PHONE, "", [(photo, "image/jpeg"), (scan, "application/pdf")]))
    assert "photo 1.jpg" in received and "photo 2.pdf" in received and reference in received
    assert all(had_auth for _, _, had_auth in twilio.requests)  # basic auth, as Twilio requires

    status = "\n".join(sms.text(PHONE, "where is my GAP claim?"))
    record = show(stack, reference)
    assert [(d["filename"], d["channel"]) for d in record["documents"]] == [
        ("photo 1.jpg", "sms"),
        ("photo 2.pdf", "sms"),
    ]
    due = record["documents"][0]["review_due"]
    assert reference in status and "submitted" in status and "photo 1.jpg on" in status
    assert time.strftime("%B", time.strptime(due, "%Y-%m-%d")) in status

    # The claim was opened over SMS: the clerk's change is texted to this number.
    set_status(stack, reference, "in_review")
    wait_for_messages(twilio, 1)
    [text] = twilio.messages
    assert (text.to, text.from_) == (PHONE, TWILIO_FROM) and reference in text.body


def test_rest_status_after_identity_and_an_upload_link(stack: Stack) -> None:
    opener = f"e2e-{uuid.uuid4().hex}"
    say(stack, opener, "I'd like to open a GAP claim")
    say(stack, opener, NUNEZ)
    reference = reference_in(text_of(say(stack, opener, "yes")))

    sender = f"e2e-{uuid.uuid4().hex}"
    before = text_of(say(stack, sender, "any update on my gap claim?"))
    assert render("offer_lookup")["text"] in before and reference not in before
    link_before = text_of(say(stack, sender, "send me an upload link"))
    assert not LINK.search(link_before)

    # Verified: the latest question asked before is answered (the link), then any other.
    assert LINK.search(text_of(say(stack, sender, NUNEZ)))
    update = text_of(say(stack, sender, "any update on my gap claim?"))
    assert reference in update and "haven't received any documents" in update

    [link] = LINK.findall(text_of(say(stack, sender, "can I send the documents from my computer?")))
    assert requests.get(link, timeout=30).status_code == 200
    sent = upload(link, "settlement letter.pdf", samples.pdf())
    assert sent.status_code == 201, sent.text
    status = text_of(say(stack, sender, "where is my GAP claim?"))
    assert "settlement letter.pdf on" in status and "reviewed by" in status


def test_forged_and_expired_upload_links_are_refused(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load(stack.env)
    base = f"{stack.web_url}/claims/upload/"
    forged = upload_token("GAP-AAAAAAAA", load({**stack.env, "CLAIMS_UPLOAD_SECRET": "guessed"}))
    assert upload(base + forged, "a.pdf", samples.pdf()).status_code == 403
    hours = conf.claims_upload_link_hours
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _: int(time.time() - (hours + 1) * 3600))
    expired = upload_token("GAP-AAAAAAAA", conf)
    assert upload(base + expired, "a.pdf", samples.pdf()).status_code == 410
