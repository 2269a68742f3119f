"""Document intake: one function per way a document arrives, one outcome per result.

- ``intake_for_contract``: a verified conversation's claim (widget, SMS/MMS); the
  channel passes the contract it verified, or None (→ NOT_VERIFIED).
- ``intake_with_link``: the upload page, authorised by a signed link (bot/claims/links.py).

Each checks the file (bot/claims/documents.py), then stores it so that the file
and its ``claim_documents`` row commit together or not at all: the cleaned
bytes are staged under a temporary name, the row is inserted (the UNIQUE
(claim, sha256) refuses duplicates, even concurrent ones), the staged file is
renamed to its final name, and only then the transaction commits; if the commit
fails the file is removed again. A crash after the rename and before the commit
can leave an unreferenced file, never a row without its file. Blocking: async
callers use asyncio.to_thread.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.claims.documents import EXTENSIONS, Refused, clean, safe_filename
from bot.claims.links import LinkProblem, LinkRefused, verify_upload_token
from bot.claims.storage import DocumentStore, LocalDocumentStore, Staged, StorageError, document_key
from bot.content.messages import claims_text
from bot.data.claims import DocumentView, document_totals, document_view, utc_now
from bot.data.engine import session_scope
from bot.data.models import ClaimDocument, GapClaim
from bot.data.repository import get_contract
from bot.domain.claim_status import is_final
from bot.domain.review_clock import review_due
from bot.settings import Settings, settings

log = logging.getLogger(__name__)
MB = 1024 * 1024


class Outcome(str, enum.Enum):
    """Every result of sending a document; each has its own reply (claims_messages.yml)."""

    ACCEPTED = "document_accepted"
    DUPLICATE = "document_duplicate"
    EMPTY = "document_empty"
    NO_FILE = "document_missing"  # an upload form sent without a file
    WRONG_TYPE = "document_wrong_type"
    CORRUPT = "document_corrupt"
    TOO_BIG = "document_too_big"
    BAD_NAME = "document_bad_name"
    TOO_MANY_FILES = "claim_too_many_files"
    CLAIM_FULL = "claim_too_many_bytes"
    CLAIM_CLOSED = "claim_closed"
    NO_OPEN_CLAIM = "no_open_claim"
    NOT_VERIFIED = "not_verified"
    LINK_EXPIRED = "link_expired"
    LINK_INVALID = "link_invalid"
    UNAVAILABLE = "uploads_unavailable"  # storage failed, or upload links are off
    MEDIA_UNAVAILABLE = "media_unavailable"  # an MMS picture could not be downloaded


# The HTTP status each outcome is answered with by the upload routes (the upload page, the widget's).
STATUS_BY_OUTCOME = {
    Outcome.ACCEPTED: 201,
    Outcome.DUPLICATE: 409,
    Outcome.EMPTY: 400,
    Outcome.NO_FILE: 400,
    Outcome.WRONG_TYPE: 415,
    Outcome.CORRUPT: 422,
    Outcome.TOO_BIG: 413,
    Outcome.BAD_NAME: 400,
    Outcome.TOO_MANY_FILES: 409,
    Outcome.CLAIM_FULL: 413,
    Outcome.CLAIM_CLOSED: 409,
    Outcome.NO_OPEN_CLAIM: 404,
    Outcome.NOT_VERIFIED: 403,
    Outcome.LINK_EXPIRED: 410,
    Outcome.LINK_INVALID: 403,
    Outcome.UNAVAILABLE: 409,  # storage failed or links are off: try again later / call
    Outcome.MEDIA_UNAVAILABLE: 409,
}
_LINK_OUTCOMES = {
    LinkProblem.EXPIRED: Outcome.LINK_EXPIRED,
    LinkProblem.INVALID: Outcome.LINK_INVALID,
    LinkProblem.OFF: Outcome.UNAVAILABLE,
}


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str | None  # as the client named it; None for MMS pictures
    channel: str  # "upload_link", "sms", "socketio", ...


@dataclass(frozen=True)
class IntakeResult:
    outcome: Outcome
    claim_reference: str | None = None
    document: DocumentView | None = None
    filename: str | None = None  # the safe name, when it got that far

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    def reply(self, conf: Settings | None = None) -> str:
        """The customer's answer for this outcome, with the limits from the settings."""
        conf = conf or settings()
        due = self.document.review_due if self.document is not None else None
        return claims_text(
            self.outcome.value,
            claim_reference=self.claim_reference or "",
            filename=self.filename or "the document",
            review_due=f"{due:%A, %B} {due.day}" if due is not None else "",
            max_file_size=size_text(conf.claims_max_file_bytes),
            max_files=str(conf.claims_max_files),
            max_claim_size=size_text(conf.claims_max_claim_bytes),
        )


def size_text(size: int) -> str:
    """A limit as people read it: "10 MB", "1.5 MB", "500 KB"."""
    if size >= MB:
        return f"{round(size / MB, 1):g} MB"
    return f"{max(1, round(size / 1024))} KB"


def document_store(conf: Settings | None = None) -> DocumentStore:
    return LocalDocumentStore(Path((conf or settings()).claims_storage_dir))


ClaimFinder = Callable[[Session], GapClaim | None]


def intake_for_contract(
    contract_number: str | None,
    upload: Upload,
    *,
    conf: Settings | None = None,
    store: DocumentStore | None = None,
    now: datetime | None = None,
) -> IntakeResult:
    """Add a document to the non-final claim of a contract the conversation verified.

    ``contract_number`` is None when the conversation has not verified anyone:
    nothing is read or stored then (NOT_VERIFIED).
    """
    if not contract_number:
        return IntakeResult(Outcome.NOT_VERIFIED)

    def find(session: Session) -> GapClaim | None:
        contract = get_contract(session, contract_number)
        if contract is None:
            return None
        return session.execute(
            select(GapClaim).where(GapClaim.open_contract_id == contract.id).with_for_update()
        ).scalar_one_or_none()

    return _intake(find, upload, conf or settings(), store, now)


def intake_with_link(
    token: str,
    upload: Upload,
    *,
    conf: Settings | None = None,
    store: DocumentStore | None = None,
    now: datetime | None = None,
) -> IntakeResult:
    """Add a document to the claim a signed upload link was issued for."""
    conf = conf or settings()
    try:
        reference = verify_upload_token(token, conf)
    except LinkRefused as refused:
        return IntakeResult(_LINK_OUTCOMES[refused.problem])

    def find(session: Session) -> GapClaim | None:
        return session.execute(
            select(GapClaim).where(GapClaim.reference == reference).with_for_update()
        ).scalar_one_or_none()

    return _intake(find, upload, conf, store, now)


def _intake(
    find: ClaimFinder,
    upload: Upload,
    conf: Settings,
    store: DocumentStore | None,
    now: datetime | None,
) -> IntakeResult:
    if len(upload.data) > conf.claims_max_file_bytes:
        return IntakeResult(Outcome.TOO_BIG)
    try:
        name = safe_filename(upload.filename)
    except Refused:
        return IntakeResult(Outcome.BAD_NAME)
    try:
        document = clean(upload.data)
    except Refused as refused:
        return IntakeResult(Outcome(f"document_{refused.problem.value}"), filename=name)
    if len(document.data) > conf.claims_max_file_bytes:
        return IntakeResult(Outcome.TOO_BIG, filename=name)
    if "." not in name:
        name += EXTENSIONS[document.content_type]
    sha256 = hashlib.sha256(document.data).hexdigest()
    store = store or document_store(conf)
    received_at = now or utc_now()
    try:
        staged = store.stage(document.data)
    except StorageError:
        log.exception("a claim document could not be staged")
        return IntakeResult(Outcome.UNAVAILABLE, filename=name)
    try:
        return _commit(
            find,
            store,
            staged,
            name,
            sha256,
            len(document.data),
            document.content_type,
            upload.channel,
            received_at,
            conf,
        )
    finally:
        store.discard(staged)  # nothing left once published


def _commit(
    find: ClaimFinder,
    store: DocumentStore,
    staged: Staged,
    name: str,
    sha256: str,
    size: int,
    content_type: str,
    channel: str,
    received_at: datetime,
    conf: Settings,
) -> IntakeResult:
    published: str | None = None
    try:
        with session_scope() as session:
            claim = find(session)
            if claim is None:
                return IntakeResult(Outcome.NO_OPEN_CLAIM, filename=name)
            reference = claim.reference
            if is_final(claim.status):
                return IntakeResult(Outcome.CLAIM_CLOSED, reference, filename=name)
            if session.execute(
                select(ClaimDocument.id).where(
                    ClaimDocument.claim_id == claim.id, ClaimDocument.sha256 == sha256
                )
            ).first():
                return IntakeResult(Outcome.DUPLICATE, reference, filename=name)
            count, total = document_totals(session, claim.id)
            if count >= conf.claims_max_files:
                return IntakeResult(Outcome.TOO_MANY_FILES, reference, filename=name)
            if total + size > conf.claims_max_claim_bytes:
                return IntakeResult(Outcome.CLAIM_FULL, reference, filename=name)
            due = review_due(
                received_at, ZoneInfo(conf.claims_business_time_zone), conf.claims_business_day_end
            )
            key = document_key(reference, sha256)
            row = ClaimDocument(
                claim_id=claim.id,
                sha256=sha256,
                storage_key=key,
                filename=name,
                content_type=content_type,
                size=size,
                channel=channel,
                received_at=received_at,
                review_due=due,
            )
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # the same file, committed by a concurrent request
                return IntakeResult(Outcome.DUPLICATE, reference, filename=name)
            # The claim's review date follows its newest document (one rule: bot/domain/review_clock.py).
            claim.documents_review_due = max(claim.documents_review_due, due)
            view = document_view(row)
            if store.publish(staged, key):
                published = key
        # committed
    except Exception:
        if published is not None:
            store.remove(published)
        log.exception("a claim document could not be stored; nothing was kept")
        return IntakeResult(Outcome.UNAVAILABLE, filename=name)
    log.info("GAP claim %s: document received (%s, %d bytes) via %s", reference, content_type, size, channel)
    return IntakeResult(Outcome.ACCEPTED, reference, view, name)
