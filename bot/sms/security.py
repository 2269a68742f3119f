"""Who may post to the SMS webhook, and how a phone number is kept private.

Twilio signs every webhook with the account's auth token (X-Twilio-Signature);
a request without a valid signature is not from Twilio. Phone numbers never
leave this module: Rasa and the opt-out table see a keyed hash instead.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from multidict import MultiDict
from twilio.request_validator import RequestValidator

# Domain separation: the same token must not give the same bytes in two uses.
_SENDER_KEY_LABEL = b"ally-premier-protection sms sender id v1"


def signature_valid(auth_token: str, url: str, params: Sequence[tuple[str, str]], signature: str) -> bool:
    """True when ``signature`` is Twilio's signature of ``url`` and ``params``.

    ``params`` keeps repeated and blank fields: Twilio signs all of them.
    """
    if not auth_token or not signature:
        return False
    # RequestValidator reads repeated fields through getall(), as on a MultiDict.
    return RequestValidator(auth_token).validate(url, MultiDict(params), signature)


def sender_key(sender_key_setting: str | None, auth_token: str) -> bytes:
    """The HMAC key for sender ids: SMS_SENDER_KEY, else derived from the token.

    Set SMS_SENDER_KEY in production: with the derived key, rotating the auth
    token would change every sender id, and so forget opt-outs and conversations.
    """
    if sender_key_setting:
        return sender_key_setting.encode("utf-8")
    return hmac.new(auth_token.encode("utf-8"), _SENDER_KEY_LABEL, hashlib.sha256).digest()


def sender_id(phone: str, key: bytes) -> str:
    """A stable, unguessable id for ``phone`` (64 hex characters)."""
    normalised = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
