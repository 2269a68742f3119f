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


class OptOutRequest(enum.Enum):
    """What a message that is more than a bare keyword says about opting out."""

    CLEAR = "clear"  # "stop please", "unsubscribe me", "don't text me": opted out at once
    UNSURE = "unsure"  # "cancel please", "stop the texts about my claim": answered, and told how to stop


# A message opts out when, besides these words and politeness, it says nothing
# else. Carriers match only the bare keyword, but a plain request to stop in
# other words must be honoured too (TCPA: consent may be revoked by any
# reasonable means).
_STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "quit", "revoke", "optout"})
# Carrier keywords that are also how customers talk about their contract
# ("cancel please" may mean the contract): never an opt-out unless texts are named.
_CONTRACT_WORDS = frozenset({"cancel", "end"})
_TEXTING = frozenset(
    {"text", "texts", "texting", "txt", "txts", "message", "messages", "messaging", "msg", "msgs", "sms"}
    | {"sending", "contacting", "contact", "notifications", "alerts"}
)
_NEGATIONS = frozenset({"dont", "do", "not", "no", "never"})
_POLITE = frozenset(
    {"please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ty", "me", "it", "all", "just"}
    | {"ok", "okay", "asap", "immediately", "these", "this", "the", "your", "from", "to", "us", "my"}
    | {"number", "phone", "any", "more", "anymore", "of", "for", "hi", "hello", "i", "want", "would"}
    | {"like", "them", "kindly", "again", "sending", "send", "subscription", "list"}
)
# Longer than this, a message is a question or a story, not a request to stop.
_MAX_OPT_OUT_WORDS = 12
_WORD = re.compile(r"[a-z]+")
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


def opt_out_request(body: str) -> OptOutRequest | None:
    """Whether ``body``, not a bare carrier keyword, asks to stop texts (see OptOutRequest)."""
    text = body.casefold().replace("\u2019", "'").replace("'", "").replace("opt out", "optout")
    words = _WORD.findall(text.replace("opt-out", "optout"))
    if not words:
        return None
    said = set(words)
    stop, contract = said & _STOP_WORDS, said & _CONTRACT_WORDS
    texts, negated = bool(said & _TEXTING), bool(said & _NEGATIONS)
    rest = said - _POLITE - _TEXTING - _NEGATIONS - _STOP_WORDS - _CONTRACT_WORDS
    if len(words) <= _MAX_OPT_OUT_WORDS and not rest:
        if stop and not negated and not contract:
            return OptOutRequest.CLEAR  # "stop please", "please stop texting me"
        if not stop and not contract and negated and texts:
            return OptOutRequest.CLEAR  # "don't text me", "no more messages"
        if contract and texts and not negated and not stop:
            return OptOutRequest.CLEAR  # "cancel the texts", "end messages"
        if stop or contract:
            return OptOutRequest.UNSURE  # "cancel please", "don't stop"
    if (stop or contract) and texts:
        return OptOutRequest.UNSURE  # "stop sending texts about my claim"
    return None


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
