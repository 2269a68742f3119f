"""Signed, expiring upload links: one link opens the upload page of ONE claim.

The token is ``itsdangerous``' URL-safe, timestamped signature of the claim
reference, keyed by CLAIMS_UPLOAD_SECRET with a purpose salt, so it cannot be
forged, moved to another claim or used after CLAIMS_UPLOAD_LINK_HOURS. Holding
the link is what authorises an upload: issue it only to a verified customer.
"""

from __future__ import annotations

import enum

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from bot.data.claims import UnknownClaim, get_claim_record
from bot.settings import Settings, settings

_SALT = "ally-premier-protection gap claim upload link v1"
UPLOAD_PATH = "/claims/upload/"


class LinkProblem(str, enum.Enum):
    EXPIRED = "expired"
    INVALID = "invalid"  # forged, altered, truncated or not a token at all
    OFF = "off"  # CLAIMS_UPLOAD_SECRET is not set


class LinkRefused(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class ClaimClosed(ValueError):
    """Final claims take no documents, so they get no upload link."""


def _serializer(conf: Settings) -> URLSafeTimedSerializer:
    if not conf.claims_upload_secret:
        raise LinkRefused(LinkProblem.OFF)
    return URLSafeTimedSerializer(conf.claims_upload_secret, salt=_SALT)


def upload_token(reference: str, conf: Settings | None = None) -> str:
    return _serializer(conf or settings()).dumps({"claim": reference})


def issue_upload_link(reference: str, conf: Settings | None = None) -> str:
    """The upload page's URL for a claim that still takes documents.

    Raises UnknownClaim, ClaimClosed, or LinkRefused(OFF) when links are off.
    """
    conf = conf or settings()
    record = get_claim_record(reference)
    if record is None:
        raise UnknownClaim(reference)
    if record.final:
        raise ClaimClosed(record.reference)
    return f"{conf.web_public_url}{UPLOAD_PATH}{upload_token(record.reference, conf)}"


def verify_upload_token(token: str, conf: Settings | None = None) -> str:
    """The claim reference a token was issued for; raises LinkRefused."""
    conf = conf or settings()
    serializer = _serializer(conf)
    try:
        payload = serializer.loads(token, max_age=int(conf.claims_upload_link_hours * 3600))
    except SignatureExpired:
        raise LinkRefused(LinkProblem.EXPIRED) from None
    except BadData:
        raise LinkRefused(LinkProblem.INVALID) from None
    reference = payload.get("claim") if isinstance(payload, dict) else None
    if not isinstance(reference, str) or not reference:
        raise LinkRefused(LinkProblem.INVALID)
    return reference
