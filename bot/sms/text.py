"""Pure SMS text handling: carrier keywords, numbered choices, length limits.

No Rasa and no I/O here, so every rule is unit-tested on its own.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence

from twilio.twiml.messaging_response import MessagingResponse

# Twilio refuses a message body over 1,600 characters.
MAX_MESSAGE_CHARS = 1600
# Twilio delivers at most 1,600 characters inbound; anything longer is not a
# real text message and is refused before it reaches the NLU.
MAX_INBOUND_CHARS = 1600


class Keyword(enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


# The carriers' (CTIA) standard keywords, matched on the whole message only.
_KEYWORDS = {
    **dict.fromkeys(("stop", "stopall", "unsubscribe", "cancel", "end", "quit"), Keyword.OPT_OUT),
    **dict.fromkeys(("start", "unstop"), Keyword.OPT_IN),
    **dict.fromkeys(("help", "info"), Keyword.HELP),
}
_OPTION_REPLY = re.compile(r"#?([0-9]{1,2})[.)]?")

# Typographic characters outside the GSM-7 alphabet force the whole SMS into
# UCS-2, which fits 70 characters per segment instead of 160.
_GSM_FRIENDLY = str.maketrans(
    {
        "\u2014": "-",
        "\u2013": "-",
        "\u2022": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
)
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n+")


def keyword(body: str) -> Keyword | None:
    """The carrier keyword ``body`` is, ignoring case, spaces and a final . or !"""
    return _KEYWORDS.get(body.strip().rstrip(".!").strip().casefold())


def option_number(body: str) -> int | None:
    """1 for "1", "1." or "#1"; None when the message is not just a number."""
    match = _OPTION_REPLY.fullmatch(body.strip())
    return int(match.group(1)) if match else None


def gsm_friendly(text: str) -> str:
    return text.translate(_GSM_FRIENDLY)


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` characters.

    Cuts fall between sentences (or lines) when possible, else between words,
    and only inside a word longer than ``limit``.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if current and len(current) + 1 + len(piece) > limit:
            parts.append(current)
            current = ""
        current = f"{current} {piece}" if current else piece
    if current:
        parts.append(current)
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    """Sentences, with any sentence longer than ``limit`` broken into words."""
    pieces: list[str] = []
    for sentence in filter(None, (s.strip() for s in _SENTENCE_END.split(text))):
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        for word in sentence.split():
            pieces.extend(word[i : i + limit] for i in range(0, len(word), limit))
    return pieces


def twiml(bodies: Sequence[str]) -> str:
    """A TwiML reply sending each body as one message (none: stay silent)."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response)
