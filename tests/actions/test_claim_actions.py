"""The claims center in chat: status and upload link for the verified contract, where updates go."""

from __future__ import annotations

from typing import Any

import pytest

from actions.common import attachments_offer
from actions.contracts import CLAIM_ANSWERS, ActionAnswerPersonal
from actions.gap_claims import ActionSubmitGapClaim
from bot.claims.intake import Upload, intake_for_contract
from bot.claims.links import verify_upload_token
from bot.content.intents import CLAIM_QUESTIONS
from bot.content.messages import claims_text, render
from bot.data.engine import session_scope
from bot.data.models import GapClaim
from tests.actions.test_actions import proven, run, texts, tracker
from tests.support import samples
from tests.support.claims import CONTRACT

pytestmark = pytest.mark.usefixtures("conf")


def ask(intent: str, slots: dict[str, Any] | None = None, sender: str = "rest:test-conversation") -> str:
    dispatcher, _ = run(ActionAnswerPersonal(), tracker(slots, intent=intent, sender=sender))
    return texts(dispatcher)


def test_every_claim_question_has_an_answer() -> None:
    assert set(CLAIM_ANSWERS) == set(CLAIM_QUESTIONS)


def test_status_names_the_state_each_document_with_its_date_and_the_review_date(claim_ref: str) -> None:
    result = intake_for_contract(CONTRACT, Upload(samples.pdf(), "title.pdf", "socketio"))
    assert result.accepted
    text = ask("ask_gap_status", proven(CONTRACT))
    due = result.document.review_due
    received = result.document.received_at
    assert claim_ref in text and "is submitted" in text
    assert f"title.pdf on {received:%B} {received.day}" in text
    assert f"reviewed by {due:%B} {due.day}" in text


def test_status_without_a_claim() -> None:
    assert ask("ask_gap_status", proven(CONTRACT)) == claims_text("status_no_claim")


@pytest.mark.parametrize("intent", CLAIM_QUESTIONS)
def test_before_verification_only_the_offer_to_look_it_up(claim_ref: str, intent: str) -> None:
    text = ask(intent)
    assert text == render("offer_lookup")["text"]
    assert claim_ref not in text


def test_a_proof_from_another_conversation_reveals_nothing(claim_ref: str) -> None:
    text = ask("ask_gap_status", proven(CONTRACT, sender="rest:someone-else"))
    assert claim_ref not in text


def test_upload_link_for_the_open_claim(claim_ref: str) -> None:
    text = ask("ask_upload_link", proven(CONTRACT))
    link = next(
        word for word in text.split() if word.startswith("https://claims.example.test/claims/upload/")
    )
    assert verify_upload_token(link.rsplit("/", 1)[1]) == claim_ref


def test_upload_link_without_a_claim_offers_to_start_one() -> None:
    assert ask("ask_upload_link", proven(CONTRACT)) == claims_text("upload_link_no_claim")


def test_upload_link_for_a_closed_claim(claim_ref: str) -> None:
    with session_scope() as session:
        claim = session.query(GapClaim).filter_by(reference=claim_ref).one()
        claim.status, claim.open_contract_id = "paid", None
    assert ask("ask_upload_link", proven(CONTRACT)) == claims_text("claim_closed", claim_reference=claim_ref)


def test_upload_link_when_links_are_off(claim_ref: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_UPLOAD_SECRET", "")
    assert ask("ask_upload_link", proven(CONTRACT)) == claims_text("upload_link_unavailable")


def opened_in(channel: str, conversation: str) -> tuple[str | None, str | None]:
    """Open a claim in a conversation of ``channel``; where its updates go."""
    t = tracker(
        {**proven(CONTRACT, sender=conversation), "gap_confirmed": True},
        sender=conversation,
        events=[{"event": "user", "text": "yes", "input_channel": channel}],
    )
    run(ActionSubmitGapClaim(), t)
    with session_scope() as session:
        claim = session.query(GapClaim).one()
        return claim.notify_channel, claim.notify_sender_id


def test_a_claim_opened_over_sms_is_texted_to_the_senders_number() -> None:
    assert opened_in("sms", "sms:0123456789abcdef") == ("sms", "0123456789abcdef")


def test_a_claim_opened_in_the_widget_updates_that_conversation() -> None:
    assert opened_in("socketio", "socketio:4f1e") == ("widget", "socketio:4f1e")


def test_a_claim_opened_over_rest_has_no_channel_for_updates() -> None:
    assert opened_in("rest", "rest:test-conversation") == (None, None)


@pytest.mark.parametrize("channel, offered", [("socketio", True), ("rest", False), ("sms", False)])
def test_only_the_widget_is_told_to_offer_attachments(channel: str, offered: bool) -> None:
    conversation = f"{channel}:conversation-1"
    t = tracker(
        {**proven(CONTRACT, sender=conversation), "gap_confirmed": True},
        sender=conversation,
        events=[{"event": "user", "text": "yes", "input_channel": channel}],
    )
    dispatcher, _ = run(ActionSubmitGapClaim(), t)
    assert ({"data": attachments_offer()} in [m.get("custom") for m in dispatcher.messages]) is offered
    if offered:
        assert attachments_offer()["max_file_bytes"] == 10 * 1024 * 1024
        assert "up to 10 MB" in attachments_offer()["too_big"]
