"""Identity verification inputs (last name, ZIP, VIN) and masking for logs.

The page asks for exactly these three to start a GAP claim. Inputs come from
chat and SMS, so they are normalised generously (accents, apostrophes, ZIP+4,
spaced VINs) and compared strictly after that.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import zipcodes
from vininfo import Vin

MAX_VERIFICATION_FAILURES = 3
# The slots (and entities) that hold identity answers: personal data, stored
# encrypted and masked (bot/rasa_server/tracker_privacy.py), cleared after a check.
IDENTITY_SLOTS = ("last_name", "zip_code", "vin")

# Latin letters NFKD leaves whole, spelled as people type them without the accent
# ("Łukasz" → "lukasz", "Søren" → "soren", "Yıldız" → "yildiz").
_UNDECOMPOSED_LETTERS = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th"}
)
_ZIP_RE = re.compile(r"([0-9]{5})(?:[ -]?[0-9]{4})?")
_VIN_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")
_VIN_CHARS = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
# Letters no VIN holds, typed for the digits they look like; the check digit decides.
_LOOKALIKE_DIGITS = str.maketrans({"O": "0", "I": "1"})


def normalize_name(s: str) -> str:
    """Comparison key for a name: "O'Brien-Núñez" → "obriennunez".

    Casefolds, decomposes accents (NFKD) and drops the marks, and keeps only
    letters, so spaces, apostrophes (' ’ ʼ `) and hyphens/dashes never matter.
    """
    # Casefold on both sides of NFKD: upper-casing can expand a letter (ᾀ → ἈΙ)
    # and compatibility decomposition can yield capitals (𝔄 → A).
    decomposed = unicodedata.normalize("NFKD", (s or "").casefold()).casefold()
    decomposed = decomposed.translate(_UNDECOMPOSED_LETTERS)
    # Keeping letters drops the accents' combining marks; ʼ and ʻ are "modifier
    # letters" to Unicode but apostrophes to a person, so they go too.
    return "".join(c for c in decomposed if c.isalpha() and unicodedata.category(c) != "Lm")


def normalize_zip(s: str) -> str | None:
    """The 5-digit ZIP from "12345", "12345-6789", "12345 6789" or "123456789"."""
    match = _ZIP_RE.fullmatch((s or "").strip())
    return match.group(1) if match else None


def zip_state(zip5: str) -> str | None:
    """Two-letter state of a real ZIP code, else None."""
    if not re.fullmatch(r"[0-9]{5}", zip5 or ""):
        return None
    found = zipcodes.matching(zip5)
    return found[0]["state"] if found else None


def zip_is_real(zip5: str) -> bool:
    return zip_state(zip5) is not None


@dataclass(frozen=True)
class VinCheck:
    ok: bool
    vin: str | None  # normalised (upper case, no separators) whenever ok
    problem: str | None  # "length" | "characters" | "check_digit"


def clean_vin(s: str) -> str:
    """Upper-case VIN with spaces and dashes removed (not yet validated)."""
    return _VIN_SEPARATORS.sub("", s or "").upper()


def check_vin(s: str) -> VinCheck:
    """Validate a 17-character VIN, including the North American check digit."""
    vin = clean_vin(s)
    if len(vin) != 17:
        return VinCheck(False, None, "length")
    if not _VIN_CHARS.fullmatch(vin):  # I, O and Q are never used in VINs
        return VinCheck(False, None, "characters")
    if not _check_digit_ok(vin):
        return VinCheck(False, None, "check_digit")
    return VinCheck(True, vin, None)


def check_typed_vin(s: str) -> VinCheck:
    """``check_vin`` for a VIN a customer typed: an O or I typed for 0 or 1 is read
    as the digit when that makes the check digit right ("5YJ3E1EAXPF4O2917")."""
    check = check_vin(s)
    if check.problem == "characters":
        repaired = check_vin(clean_vin(s).translate(_LOOKALIKE_DIGITS))
        if repaired.ok:
            return repaired
    return check


def _check_digit_ok(vin: str) -> bool:
    try:
        return bool(Vin(vin).verify_checksum())
    except Exception:  # vininfo raises on inputs it cannot decode; that is a bad VIN too
        return False


def mask_vin(vin: str) -> str:
    """ "…123456": the last 6 characters are enough to tell a customer which car."""
    return "…" + clean_vin(vin)[-6:]


def mask_zip(zip_code: str) -> str:
    return "***" + (zip_code or "").strip()[-2:]


def mask_name(name: str) -> str:
    name = (name or "").strip()
    return name[:1] + "***" if name else "***"


def mask_phone(phone: str) -> str:
    digits = re.sub(r"[^0-9]", "", phone or "")
    return "***" + digits[-2:]


def identity_matches(
    contract_last_name: str,
    contract_zip: str,
    contract_vin: str,
    last_name: str,
    zip_code: str,
    vin: str,
) -> bool:
    """True only when last name, ZIP and VIN all match after normalisation."""
    name_key = normalize_name(last_name)
    zip5 = normalize_zip(zip_code)
    given_vin = clean_vin(vin)
    return (
        bool(name_key)
        and name_key == normalize_name(contract_last_name)
        and zip5 is not None
        and zip5 == normalize_zip(contract_zip)
        and len(given_vin) == 17
        and given_vin == clean_vin(contract_vin)
    )
