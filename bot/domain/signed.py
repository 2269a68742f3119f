"""Signed, timestamped values (itsdangerous), for tokens the server issues and later checks.

The key is already specific to one use (bot/domain/keys.py). ``now`` pins the
clock for tests; by default it is the current time.
"""

from __future__ import annotations

import time

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer


def _serializer(key: bytes, now: float | None) -> URLSafeTimedSerializer:
    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() if now is None else now)

    return URLSafeTimedSerializer(key, signer=Signer)


def dumps(key: bytes, value: object, now: float | None = None) -> str:
    """``value`` (JSON-able) signed with ``key`` and stamped with the time."""
    token: str = _serializer(key, now).dumps(value)
    return token


def loads(key: bytes, token: object, max_age: float, now: float | None = None) -> object | None:
    """The value ``token`` carries if ``key`` signed it at most ``max_age`` seconds ago, else None."""
    if not isinstance(token, str) or not token or len(token) > 1024:
        return None
    try:
        value: object = _serializer(key, now).loads(token, max_age=int(max_age))
    except BadSignature:  # forged, altered, expired (SignatureExpired) or not a token at all
        return None
    return value
