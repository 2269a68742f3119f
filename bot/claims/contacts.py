"""The SMS numbers claim updates are texted to, encrypted at rest.

The SMS channel turns a number into a keyed hash (its sender id) before Rasa
sees it; the number itself is needed again only to text a claim update. It is
stored once per sender id, encrypted with Fernet (AES-128-CBC + HMAC-SHA256,
from ``cryptography``) under CONTACT_ENCRYPTION_KEY, so a copy of the database
or a backup alone reveals no phone number. Without a key no number is stored
and SMS updates are skipped (docs/claims.md). Numbers never reach a log line.
"""

from __future__ import annotations

import logging
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.data.claims import store_sms_contact
from bot.data.engine import session_scope
from bot.data.models import SmsContact
from bot.settings import Settings, settings

log = logging.getLogger(__name__)

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class ContactKeyError(ValueError):
    """CONTACT_ENCRYPTION_KEY holds something that is not a Fernet key."""


def _cipher(conf: Settings) -> MultiFernet | None:
    if not conf.contact_encryption_keys:
        return None
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in conf.contact_encryption_keys])
    except (ValueError, UnicodeEncodeError):
        raise ContactKeyError(
            "CONTACT_ENCRYPTION_KEY must be Fernet keys (Fernet.generate_key()), newest first, comma-separated"
        ) from None


@cache
def _warn_no_key() -> None:
    """Said once per process, not on every message."""
    log.warning(
        "CONTACT_ENCRYPTION_KEY is not set: SMS numbers are not stored, so claim updates cannot be texted"
    )


def normalise_phone(phone: str) -> str | None:
    """``phone`` as E.164 (+15551234567): US 10-digit numbers get +1; anything else must carry its +."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        candidate = "+" + digits
    elif len(digits) == 10:
        candidate = "+1" + digits
    elif len(digits) == 11 and digits.startswith("1"):
        candidate = "+" + digits
    else:
        return None
    return candidate if _E164.fullmatch(candidate) else None


def remember_sms_number(sender_id: str, phone: str, conf: Settings | None = None) -> bool:
    """Store the number behind an SMS sender id (encrypted); False when it cannot be stored.

    The SMS channel calls this for a customer who may get claim updates (see
    docs/claims.md); calling it again replaces the number.
    """
    conf = conf or settings()
    cipher = _cipher(conf)
    number = normalise_phone(phone)
    if cipher is None:
        _warn_no_key()
        return False
    if number is None or not sender_id:
        log.warning("an SMS number was not stored: it is not a valid number")
        return False
    store_sms_contact(sender_id, cipher.encrypt(number.encode("ascii")).decode("ascii"))
    return True


def sms_number(sender_id: str, conf: Settings | None = None) -> str | None:
    """The number to text for ``sender_id``, or None (none stored, no key, or the key changed)."""
    cipher = _cipher(conf or settings())
    if cipher is None:
        return None
    with session_scope() as session:
        contact = session.get(SmsContact, sender_id)
        token = contact.phone_encrypted if contact is not None else None
    if token is None:
        return None
    try:
        return cipher.decrypt(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        log.warning("a stored SMS number cannot be decrypted with CONTACT_ENCRYPTION_KEY")
        return None
