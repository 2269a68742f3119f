"""Status changes with history and outbox rows in one transaction; contacts; links; the customer summary."""

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.claims.contacts import ContactKeyError, normalise_phone, remember_sms_number, sms_number
from bot.claims.intake import Upload, intake_for_contract
from bot.claims.links import ClaimClosed, LinkProblem, LinkRefused, issue_upload_link, verify_upload_token
from bot.claims.summary import claim_status_summary, summary_text
from bot.data import claims, services
from bot.data.engine import session_scope
from bot.data.models import ClaimNotification, ClaimStatusChange, GapClaim, SmsContact
from tests.support import samples
from tests.support.claims import CONTRACT

PHONE = "+12065550123"
SENDER = "a" * 64


def notifications() -> list[ClaimNotification]:
    with session_scope() as s:
        return list(s.execute(select(ClaimNotification).order_by(ClaimNotification.id)).scalars())


def test_opening_is_the_first_history_entry(conf, claim_ref):
    record = claims.get_claim_record(claim_ref)
    assert record is not None
    assert [(h.status, h.previous_status, h.actor) for h in record.history] == [("open", None, "socketio")]


def test_status_change_history_and_notification_commit_together(conf, claim_ref):
    claims.set_claim_contact(claim_ref, "sms", SENDER)
    change = claims.set_claim_status(claim_ref, "more_documents_needed", note="title missing")
    assert (change.previous_status, change.status, change.changed, change.notifications) == (
        "open",
        "more_documents_needed",
        True,
        1,
    )
    record = claims.get_claim_record(claim_ref)
    assert record is not None and record.status == "more_documents_needed"
    assert record.history[-1].note == "title missing" and record.history[-1].actor == "clerk"
    [note] = notifications()
    assert (note.channel, note.recipient, note.state, note.attempts) == ("sms", SENDER, "pending", 0)
    assert claim_ref in note.body and "1-866-212-1304" in note.body and "STOP" in note.body
    assert "title missing" not in note.body  # the clerk's note is internal
    for private in ("5YJ3E1EAXPF402917", "98101", "Smith-Jones", "Morgan"):
        assert private not in note.body


def test_a_failed_commit_writes_no_status_and_no_notification(conf, claim_ref, monkeypatch):
    claims.set_claim_contact(claim_ref, "widget", "conversation-1")
    real_commit = Session.commit

    def failing_commit(session):
        if session.new:
            raise RuntimeError("the database went away")
        return real_commit(session)

    monkeypatch.setattr(Session, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        claims.set_claim_status(claim_ref, "in_review")
    monkeypatch.setattr(Session, "commit", real_commit)
    record = claims.get_claim_record(claim_ref)
    assert record is not None and record.status == "open" and len(record.history) == 1
    assert notifications() == []


def test_same_status_is_a_no_op_and_refused_changes_raise(conf, claim_ref):
    assert claims.set_claim_status(claim_ref, "open").changed is False
    with pytest.raises(claims.ChangeRefused):
        claims.set_claim_status(claim_ref, "paid")  # open → paid skips approval
    with pytest.raises(claims.InvalidStatus):
        claims.set_claim_status(claim_ref, "closed")
    with pytest.raises(claims.UnknownClaim):
        claims.set_claim_status("GAP-NOPE2345", "in_review")
    assert notifications() == []


def test_without_a_contact_no_notification_is_queued(conf, claim_ref):
    assert claims.set_claim_status(claim_ref, "in_review").notifications == 0
    assert notifications() == []


def test_final_status_frees_the_contract_for_a_new_claim(conf, claim_ref):
    for status in ("approved", "paid"):
        claims.set_claim_status(claim_ref, status)
    newer, created = services.open_gap_claim(CONTRACT, "rest")
    assert created and newer.reference != claim_ref


def test_non_final_claims_keep_the_one_claim_marker(conf, claim_ref):
    claims.set_claim_status(claim_ref, "approved")
    assert services.open_gap_claim(CONTRACT, "rest")[0].reference == claim_ref
    with pytest.raises(IntegrityError), session_scope() as s:  # approved yet unmarked: refused
        s.execute(
            select(GapClaim).where(GapClaim.reference == claim_ref)
        ).scalar_one().open_contract_id = None


def test_contacts_are_encrypted_at_rest(conf):
    assert remember_sms_number(SENDER, "(206) 555-0123", conf)
    with session_scope() as s:
        stored = s.get(SmsContact, SENDER)
        assert stored is not None and "2065550123" not in stored.phone_encrypted
    assert sms_number(SENDER, conf) == PHONE


def test_without_a_key_no_number_is_stored(conf, monkeypatch):
    monkeypatch.setenv("CONTACT_ENCRYPTION_KEY", "")
    assert remember_sms_number(SENDER, PHONE) is False
    assert sms_number(SENDER) is None
    monkeypatch.setenv("CONTACT_ENCRYPTION_KEY", "not-a-key")
    with pytest.raises(ContactKeyError):
        remember_sms_number(SENDER, PHONE)


def test_a_rotated_key_still_reads_old_numbers(conf, monkeypatch):
    from cryptography.fernet import Fernet

    remember_sms_number(SENDER, PHONE)
    monkeypatch.setenv(
        "CONTACT_ENCRYPTION_KEY", f"{Fernet.generate_key().decode()},{conf.contact_encryption_keys[0]}"
    )
    assert sms_number(SENDER) == PHONE
    monkeypatch.setenv("CONTACT_ENCRYPTION_KEY", Fernet.generate_key().decode())
    assert sms_number(SENDER) is None  # the old key is gone: unreadable, never guessed


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("206-555-0123", PHONE),
        ("+1 (206) 555-0123", PHONE),
        ("12065550123", PHONE),
        ("555-0123", None),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_normalise_phone(raw, e164):
    assert normalise_phone(raw) == e164


def test_upload_links(conf, claim_ref):
    link = issue_upload_link(claim_ref)
    assert link.startswith("https://claims.example.test/claims/upload/")
    assert verify_upload_token(link.rsplit("/", 1)[1]) == claim_ref
    with pytest.raises(claims.UnknownClaim):
        issue_upload_link("GAP-NOPE2345")
    with pytest.raises(LinkRefused) as refused:
        verify_upload_token("not.a.token")
    assert refused.value.problem is LinkProblem.INVALID
    claims.set_claim_status(claim_ref, "denied")
    with pytest.raises(ClaimClosed):
        issue_upload_link(claim_ref)


def test_a_link_signed_with_another_secret_is_forged(conf, claim_ref, monkeypatch):
    token = issue_upload_link(claim_ref).rsplit("/", 1)[1]
    monkeypatch.setenv("CLAIMS_UPLOAD_SECRET", "another-secret")
    with pytest.raises(LinkRefused) as refused:
        verify_upload_token(token)
    assert refused.value.problem is LinkProblem.INVALID


def test_customer_summary(conf):
    services.open_gap_claim(CONTRACT, "socketio", date(2026, 11, 20))
    assert summary_text(claim_status_summary(CONTRACT)).startswith("Your GAP claim")  # type: ignore[arg-type]
    empty = claim_status_summary(CONTRACT)
    assert empty is not None and empty.documents == () and empty.review_due is None
    assert "haven't received any documents" in summary_text(empty)
    received = datetime(2026, 11, 24, 1, 30, tzinfo=timezone.utc)  # Mon 23 Nov, 8:30 pm in New York
    intake_for_contract(CONTRACT, Upload(samples.pdf(), "title.pdf", "socketio"), now=received)
    summary = claim_status_summary(CONTRACT)
    assert summary is not None
    assert summary.documents == (("title.pdf", date(2026, 11, 23)),)  # the business zone's date
    assert summary.review_due == date(2026, 11, 27)  # after hours: counts Tue → Wed, (Thanksgiving), Fri
    text = summary_text(summary)
    assert "submitted" in text and "title.pdf on November 23" in text and "November 27" in text
    assert "1-866-212-1304" in text
    assert claim_status_summary("APP-100101") is None  # no claim on that contract
    assert claim_status_summary("APP-999999") is None


def test_history_rows_are_counted_per_change(conf, claim_ref):
    claims.set_claim_status(claim_ref, "in_review")
    claims.set_claim_status(claim_ref, "more_documents_needed")
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(ClaimStatusChange)).scalar_one() == 3
