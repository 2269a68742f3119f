"""Document intake: every outcome, limits, and the file and its row committing together."""

import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.claims import intake
from bot.claims.intake import Outcome, Upload, intake_for_contract, intake_with_link
from bot.claims.links import upload_token
from bot.claims.storage import LocalDocumentStore, StorageError
from bot.data import services
from bot.data.claims import get_claim_record, set_claim_status
from bot.data.engine import session_scope
from bot.data.models import ClaimDocument
from tests.support import samples
from tests.support.claims import CONTRACT

MONDAY_MORNING = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # 10 am in New York


def stored_files(conf) -> list[Path]:
    root = Path(conf.claims_storage_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def rows() -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(ClaimDocument)).scalar_one()


def upload(data: bytes, name: str | None = "scan.jpg") -> Upload:
    return Upload(data, name, "socketio")


def test_accepted_document_is_stored_by_hash_with_its_metadata(conf):
    claim_ref = services.open_gap_claim(CONTRACT, "socketio", date(2026, 11, 23))[0].reference
    result = intake_for_contract(
        CONTRACT, upload(samples.jpeg(gps=True), "Title photo.jpg"), now=MONDAY_MORNING
    )
    assert result.outcome is Outcome.ACCEPTED and result.claim_reference == claim_ref
    doc = result.document
    assert doc is not None
    assert (doc.filename, doc.content_type, doc.channel) == ("Title photo.jpg", "image/jpeg", "socketio")
    assert doc.received_at == MONDAY_MORNING and doc.review_due == date(2026, 11, 25)
    [path] = stored_files(conf)
    assert (
        path == Path(conf.claims_storage_dir) / claim_ref / doc.sha256
    )  # named by content, not by the client
    assert path.stat().st_size == doc.size
    record = get_claim_record(claim_ref)
    assert record is not None and record.documents == (doc,)
    assert record.documents_review_due == date(2026, 11, 25)
    assert "Title photo.jpg" in result.reply(conf) and "Wednesday, November 25" in result.reply(conf)


def test_a_nameless_picture_gets_a_name_with_its_type(conf, claim_ref):
    result = intake_for_contract(CONTRACT, upload(samples.png(), None))
    assert result.document is not None and result.document.filename == "document.png"


def test_the_same_file_twice_is_a_duplicate(conf, claim_ref):
    assert intake_for_contract(CONTRACT, upload(samples.pdf(), "a.pdf")).accepted
    again = intake_for_contract(CONTRACT, upload(samples.pdf(), "copy of a.pdf"))
    assert again.outcome is Outcome.DUPLICATE
    assert rows() == 1 and len(stored_files(conf)) == 1


@pytest.mark.parametrize(
    "data, name, outcome",
    [
        (b"", "a.pdf", Outcome.EMPTY),
        (b"GIF89a...", "a.gif", Outcome.WRONG_TYPE),
        (b"<?php echo 1;", "invoice.pdf", Outcome.WRONG_TYPE),
        (samples.jpeg()[:50], "cut.jpg", Outcome.CORRUPT),
        (samples.pdf(), "../../etc/passwd", Outcome.BAD_NAME),
        (samples.pdf(), "C:\\Windows\\x.pdf", Outcome.BAD_NAME),
    ],
)
def test_bad_files_each_get_their_own_outcome_and_leave_nothing(conf, claim_ref, data, name, outcome):
    result = intake_for_contract(CONTRACT, upload(data, name))
    assert result.outcome is outcome
    assert rows() == 0 and stored_files(conf) == []


def test_every_refusal_has_its_own_reply(conf):
    replies = {o: intake.IntakeResult(o, "GAP-TEST").reply(conf) for o in Outcome}
    assert len(set(replies.values())) == len(Outcome)
    assert "10 MB" in replies[Outcome.TOO_BIG] and "10 MB" in replies[Outcome.WRONG_TYPE]
    assert "20" in replies[Outcome.TOO_MANY_FILES] and "1-866-212-1304" in replies[Outcome.TOO_MANY_FILES]


def test_too_big_is_refused_before_it_is_read(conf, claim_ref, monkeypatch):
    monkeypatch.setenv("CLAIMS_MAX_FILE_BYTES", "1000")
    result = intake_for_contract(CONTRACT, upload(samples.pdf() + b" " * 1000, "big.pdf"))
    assert result.outcome is Outcome.TOO_BIG and "up to 1 KB" in result.reply()
    assert rows() == 0


def test_per_claim_limits(conf, claim_ref, monkeypatch):
    monkeypatch.setenv("CLAIMS_MAX_FILES", "2")
    assert intake_for_contract(CONTRACT, upload(samples.pdf("one"), "1.pdf")).accepted
    assert intake_for_contract(CONTRACT, upload(samples.pdf("two"), "2.pdf")).accepted
    third = intake_for_contract(CONTRACT, upload(samples.pdf("three"), "3.pdf"))
    assert third.outcome is Outcome.TOO_MANY_FILES and "(2)" in third.reply()
    monkeypatch.setenv("CLAIMS_MAX_FILES", "20")
    monkeypatch.setenv("CLAIMS_MAX_CLAIM_BYTES", str(2 * len(samples.pdf("one")) + 10))
    assert intake_for_contract(CONTRACT, upload(samples.pdf("three"), "3.pdf")).outcome is Outcome.CLAIM_FULL
    assert rows() == 2


def test_a_conversation_without_verification_stores_nothing(conf, claim_ref):
    assert intake_for_contract(None, upload(samples.pdf())).outcome is Outcome.NOT_VERIFIED
    assert rows() == 0


def test_no_open_claim(conf):
    assert intake_for_contract(CONTRACT, upload(samples.pdf())).outcome is Outcome.NO_OPEN_CLAIM
    assert intake_for_contract("APP-999999", upload(samples.pdf())).outcome is Outcome.NO_OPEN_CLAIM


def test_final_claims_take_no_documents(conf, claim_ref):
    set_claim_status(claim_ref, "denied")
    assert intake_for_contract(CONTRACT, upload(samples.pdf())).outcome is Outcome.NO_OPEN_CLAIM
    token = upload_token(claim_ref, conf)
    assert intake_with_link(token, upload(samples.pdf())).outcome is Outcome.CLAIM_CLOSED


def test_upload_link_intake(conf, claim_ref):
    result = intake_with_link(
        upload_token(claim_ref, conf), Upload(samples.heic(gps=True), "IMG_0001.HEIC", "upload_link")
    )
    assert result.accepted and result.claim_reference == claim_ref
    assert result.document is not None and result.document.content_type == "image/heic"


def test_forged_expired_and_disabled_links(conf, claim_ref, monkeypatch):
    token = upload_token(claim_ref, conf)
    assert intake_with_link(token[:-2] + "xx", upload(samples.pdf())).outcome is Outcome.LINK_INVALID
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 73 * 3600)
    old = upload_token(claim_ref, conf)
    monkeypatch.undo()
    monkeypatch.setenv("CLAIMS_STORAGE_DIR", conf.claims_storage_dir)
    monkeypatch.setenv("CLAIMS_UPLOAD_SECRET", conf.claims_upload_secret)
    assert intake_with_link(old, upload(samples.pdf())).outcome is Outcome.LINK_EXPIRED
    monkeypatch.setenv("CLAIMS_UPLOAD_SECRET", "")
    assert intake_with_link(token, upload(samples.pdf())).outcome is Outcome.UNAVAILABLE
    assert rows() == 0


def test_a_failed_commit_leaves_neither_row_nor_file(conf, claim_ref, monkeypatch):
    real_commit = Session.commit

    def failing_commit(session):
        if session.new or session.dirty:
            raise RuntimeError("the database went away")
        return real_commit(session)

    monkeypatch.setattr(Session, "commit", failing_commit)
    result = intake_for_contract(CONTRACT, upload(samples.pdf()))
    monkeypatch.setattr(Session, "commit", real_commit)
    assert result.outcome is Outcome.UNAVAILABLE
    assert rows() == 0 and stored_files(conf) == []


def test_a_failed_file_write_leaves_no_row(conf, claim_ref, monkeypatch):
    def failing_publish(self, staged, key):
        raise StorageError("disk full")

    monkeypatch.setattr(LocalDocumentStore, "publish", failing_publish)
    assert intake_for_contract(CONTRACT, upload(samples.pdf())).outcome is Outcome.UNAVAILABLE
    assert rows() == 0 and stored_files(conf) == []


def test_concurrent_duplicates_store_one_document(conf, claim_ref):
    import threading

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(intake_for_contract(CONTRACT, upload(samples.pdf()))))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.outcome.value for r in results) == sorted(
        ["document_accepted"] + ["document_duplicate"] * 3
    )
    assert rows() == 1 and len(stored_files(conf)) == 1


def test_review_date_of_the_claim_follows_its_newest_document(conf):
    claim, _ = services.open_gap_claim(CONTRACT, "sms", date(2026, 11, 20))  # Friday → Tuesday 24
    friday_evening = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)  # 6:30 pm in New York
    result = intake_for_contract(CONTRACT, upload(samples.pdf()), now=friday_evening)
    assert result.document is not None and result.document.review_due == date(2026, 11, 25)
    record = get_claim_record(claim.reference)
    assert record is not None and record.documents_review_due == date(2026, 11, 25)
