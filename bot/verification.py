"""Reading identity answers typed in free text ("it's O'Connor", "zip 66044-1234")."""
from __future__ import annotations

import re
from typing import List, Optional

_NAME_PREFIX = re.compile(
    r"^\s*(?:(?:my\s+)?(?:last\s+|sur)?name(?:\s+is|'s|:)?|it'?s|it\s+is|this\s+is|i'?m|i\s+am|the\s+name\s+is)\s+",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['’\-][^\W\d_]+)*$")
_ZIP = re.compile(r"(?<!\d)(\d{5})(?:[\s-]?\d{4})?(?!\d)")
MAX_NAME_WORDS = 5
# Short replies that are never a surname ("yes" when asked for a last name).
NOT_NAMES = {
    "yes", "yeah", "yep", "no", "nope", "nah", "ok", "okay", "sure", "thanks", "thank you",
    "thx", "hi", "hello", "hey", "why", "what", "huh", "idk", "none", "n/a", "na",
}


def clean_last_name(text: str) -> Optional[str]:
    """The name in an answer such as "my last name is O'Connor", or None."""
    text = _NAME_PREFIX.sub("", text.strip()).strip(" .,!?;:\"")
    words = text.split()
    if not words or len(words) > MAX_NAME_WORDS or len(text) > 60 or text.lower() in NOT_NAMES:
        return None
    if not all(_NAME_WORD.match(w) for w in words):
        return None
    return " ".join(words)


def name_candidates(name: str) -> List[str]:
    """"Maria de la Cruz" → the whole phrase, then "de la Cruz", "la Cruz", "Cruz"."""
    words = name.split()
    return [" ".join(words[i:]) for i in range(len(words))]


def vin_candidate(text: str) -> str:
    """The VIN in an answer: the longest word with digits, or the words with
    digits joined when they make exactly 17 characters ("1HGCM 82633 A004352")."""
    words = [re.sub(r"[^A-Za-z0-9]", "", w) for w in re.split(r"[\s,;:]+", text)]
    with_digits = [w for w in words if any(ch.isdigit() for ch in w)]
    if not with_digits:
        return re.sub(r"[^A-Za-z0-9]", "", text).upper()
    joined = "".join(with_digits)
    best = joined if len(joined) == 17 else max(with_digits, key=len)
    return best.upper()


def zip_candidate(text: str) -> Optional[str]:
    match = _ZIP.search(text)
    return match.group(1) if match else None
