"""Where the surname is in a message that also names other things.

The message is cut into pieces: words, punctuation and the identity values
(VIN, ZIP code) already found. A surname candidate is a run of words that can
be part of a surname (never a filler, label, topic or function word:
bot/domain/names.py). A candidate counts when a trigger ("my last name is")
comes right before it, or, in "Smith-Jones here, 98101, 5YJ3…", when only
punctuation, labels and fillers separate it from an identity value; one
negated ("not Smith") never counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.names import (
    FIELD_WORDS,
    FILLER_WORDS,
    MAX_SURNAME_WORDS,
    NAME_PARTICLES,
    NEGATIONS,
    is_name_word,
    never_a_surname,
    word_set,
)

# Words that may stand between a surname and the value it comes with
# ("Smith-Jones and my zip is 98101"); any other word keeps them apart.
_BRIDGE_WORDS = FILLER_WORDS | FIELD_WORDS | word_set("and my is the of for with & +")
_PIECE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:[-‐‑–][^\W\d_]+(?:['’][^\W\d_]+)*)*\.?|\S")


@dataclass(frozen=True)
class Piece:
    # "name" (can be part of a surname) | "gap" (punctuation, filler, label) |
    # "word" (any other word) | "negation" | "value" (VIN, ZIP code) | "other"
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    first: int  # index of its first piece
    last: int


def pieces(text: str, values: list[tuple[int, int]], others: list[tuple[int, int]]) -> list[Piece]:
    """``text`` as pieces; ``values`` are identity values, ``others`` spans already read (dates)."""
    out = [Piece("value", s, e) for s, e in values] + [Piece("other", s, e) for s, e in others]
    taken = values + others
    for m in _PIECE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        word = m.group()
        if word.endswith(".") and len(word) > 1 and word.casefold() not in NAME_PARTICLES:
            out.append(_word_piece(word[:-1], m.start()))
            out.append(Piece("gap", m.end() - 1, m.end()))
        else:
            out.append(_word_piece(word, m.start()))
    return sorted(out, key=lambda p: p.start)


def _word_piece(word: str, start: int) -> Piece:
    end = start + len(word)
    if word.casefold().replace("’", "'") in NEGATIONS:
        return Piece("negation", start, end)
    if is_name_word(word) and not never_a_surname(word):
        return Piece("name", start, end)
    if word.casefold().replace("’", "'") in _BRIDGE_WORDS or not word[0].isalnum():
        return Piece("gap", start, end)
    return Piece("word" if is_name_word(word) else "other", start, end)


def candidates(ps: list[Piece]) -> list[Candidate]:
    """Runs of name pieces (at most four words; a run of particles alone is none)."""
    out: list[Candidate] = []
    i = 0
    while i < len(ps):
        if ps[i].kind != "name":
            i += 1
            continue
        j = i
        while j + 1 < len(ps) and ps[j + 1].kind == "name":
            j += 1
        if j - i + 1 <= MAX_SURNAME_WORDS:
            out.append(Candidate(ps[i].start, ps[j].end, i, j))
        i = j + 1
    return out


def negated(ps: list[Piece], c: Candidate) -> bool:
    i = c.first - 1
    while i >= 0 and ps[i].kind in ("gap", "word") and ps[i].end - ps[i].start > 1:
        i -= 1  # "not the Smith" / "not Smith": skip words, stop at punctuation
    return i >= 0 and ps[i].kind == "negation"


def next_to_value(ps: list[Piece], c: Candidate) -> bool:
    """Only gap pieces between the candidate and a VIN or ZIP code, on either side."""
    for step, i in ((1, c.last + 1), (-1, c.first - 1)):
        while 0 <= i < len(ps) and ps[i].kind == "gap":
            i += step
        if 0 <= i < len(ps) and ps[i].kind == "value":
            return True
    return False


def after(ps: list[Piece], offset: int) -> Candidate | None:
    """The first candidate after a trigger ending at ``offset``, past fillers and negated names."""
    for c in candidates(ps):
        if c.start < offset:
            continue
        between = [p for p in ps if offset <= p.start < c.start]
        if any(p.kind in ("value", "word", "other") for p in between):
            return None
        if not negated(ps, c):
            return c
    return None
