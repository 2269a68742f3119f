"""Keys derived from the one secret (ASSISTANT_SECRET_KEY), one per use.

Each use gets its own key (HMAC-SHA256 of the secret and a label), so a value
signed or hashed for one purpose is never valid for another. Plain functions,
no I/O: the caller passes the secret from bot/settings.py.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac


class Purpose(enum.Enum):
    WIDGET_SESSION = "widget session token v1"
    VERIFICATION = "verification proof v1"
    CLIENT = "client key v1"
    THROTTLE = "verification throttle key v1"
    TRACKER = "tracker store encryption v1"
    WIDGET_PUSH = "widget push token v1"


class MissingSecret(RuntimeError):
    """ASSISTANT_SECRET_KEY is unset: refuse rather than sign with a guessable key."""

    def __init__(self) -> None:
        super().__init__(
            "ASSISTANT_SECRET_KEY is not set (`make run` generates one; production sets it: docs/security.md)"
        )


def derive(secret: str, purpose: Purpose) -> bytes:
    """32 bytes for ``purpose``; raises MissingSecret when ``secret`` is empty."""
    if not secret:
        raise MissingSecret()
    return hmac.new(secret.encode("utf-8"), purpose.value.encode("ascii"), hashlib.sha256).digest()


def fernet_key(secret: str) -> bytes:
    """The tracker store's Fernet key (urlsafe base64 of 32 derived bytes)."""
    return base64.urlsafe_b64encode(derive(secret, Purpose.TRACKER))


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    """A short stable pseudonym of ``value`` (never the value itself): 32 hex characters."""
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]
