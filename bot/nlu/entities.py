"""Rule-based extraction of VINs, ZIP codes, last names and dates with spaCy.

No pretrained English model is available offline, so spaCy does what needs
none: a blank English tokenizer plus Matcher patterns. The patterns are
deliberately conservative: a missed entity is re-asked by the form, while a
wrong one would fill a slot with someone else's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token

# 17 letters/digits with at least one of each. I, O and Q are accepted here so
# that validation can explain why such a VIN is wrong instead of ignoring it.
VIN_TOKEN = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{17}$")
ZIP_TOKEN = re.compile(r"^\d{5}$")
ZIP4_TOKEN = re.compile(r"^\d{4}$")

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
]
MONTHS += [m + "." for m in MONTHS if len(m) <= 4]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY = {"TEXT": {"REGEX": r"^(0?[1-9]|[12]\d|3[01])(st|nd|rd|th)?,?$"}}
YEAR = {"TEXT": {"REGEX": r"^(19|20)\d\d$"}}
NUMERIC_DATE = {"TEXT": {"REGEX": r"^\d{1,2}[/.-]\d{1,2}([/.-]\d{2,4})?$|^\d{4}-\d{2}-\d{2}$"}}

# A name is one to four words made of letters, apostrophes and hyphens.
NAME_WORD = {"TEXT": {"REGEX": r"^[^\W\d_]+(['’][^\W\d_]+)?$"}}
NAME_STOP = {
    "and",
    "my",
    "zip",
    "zipcode",
    "vin",
    "the",
    "is",
    "code",
    "postal",
    "number",
    "it",
    "its",
    "hi",
    "hello",
    "hey",
    "ok",
    "okay",
    "yes",
    "sure",
    "here",
    "thanks",
    "please",
    "name",
    "last",
    "i",
    "im",
    "am",
    "this",
    "of",
    "for",
    "me",
    "claim",
    "gap",
    "start",
}

DATE_PATTERNS: list[list[dict[str, Any]]] = [
    [{"LOWER": {"IN": MONTHS}}, DAY, {"ORTH": ",", "OP": "?"}, YEAR],
    [{"LOWER": {"IN": MONTHS}}, DAY],
    [DAY, {"LOWER": "of", "OP": "?"}, {"LOWER": {"IN": MONTHS}}, YEAR],
    [DAY, {"LOWER": "of", "OP": "?"}, {"LOWER": {"IN": MONTHS}}],
    [NUMERIC_DATE],
    [{"LOWER": {"IN": ["today", "yesterday"]}}],
    [{"LOWER": {"IN": ["last", "this", "past"]}}, {"LOWER": {"IN": WEEKDAYS}}],
    [{"LOWER": {"IN": ["on"]}}, {"LOWER": {"IN": WEEKDAYS}}],
    [{"LIKE_NUM": True}, {"LOWER": {"IN": ["day", "days", "week", "weeks"]}}, {"LOWER": "ago"}],
    [{"LOWER": {"IN": ["a", "one"]}}, {"LOWER": {"IN": ["day", "week"]}}, {"LOWER": "ago"}],
]

# Phrases after which the customer's name follows.
NAME_TRIGGERS: list[list[dict[str, Any]]] = [
    [{"LOWER": "last"}, {"LOWER": "name"}, {"LOWER": {"IN": ["is", ":", "'s"]}, "OP": "?"}],
    [{"LOWER": "surname"}, {"LOWER": {"IN": ["is", ":"]}, "OP": "?"}],
    [{"LOWER": "my"}, {"LOWER": "name"}, {"LOWER": {"IN": ["is", "'s"]}}],
    [{"LOWER": "name"}, {"LOWER": {"IN": ["'s", ":"]}}],
]
# Weaker triggers, used only when the message also carries a VIN or ZIP code.
WEAK_NAME_TRIGGERS: list[list[dict[str, Any]]] = [
    [{"LOWER": "i"}, {"LOWER": {"IN": ["am", "'m"]}}],
    [{"LOWER": "im"}],
    [{"LOWER": "this"}, {"LOWER": "is"}],
    [{"LOWER": "name"}],
]


@dataclass(frozen=True)
class Found:
    """An entity found in a message: character offsets and normalised value."""

    entity: str
    start: int
    end: int
    value: str


@lru_cache(maxsize=1)
def _pipeline() -> tuple[Language, Matcher]:
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    matcher.add("date", DATE_PATTERNS, greedy="LONGEST")
    matcher.add("name_trigger", NAME_TRIGGERS, greedy="LONGEST")
    matcher.add("weak_name_trigger", WEAK_NAME_TRIGGERS, greedy="LONGEST")
    return nlp, matcher


def extract(text: str) -> list[Found]:
    """Return the VINs, ZIP codes, last names and dates mentioned in ``text``."""
    nlp, matcher = _pipeline()
    doc = nlp(text)
    found: list[Found] = []
    used = [False] * len(doc)

    for tok in doc:
        if VIN_TOKEN.match(tok.text):
            found.append(Found("vin", tok.idx, tok.idx + len(tok), tok.text.upper()))
            used[tok.i] = True
    found.extend(_zip_codes(doc, used))

    matches = [(doc.vocab.strings[m], s, e) for m, s, e in matcher(doc)]
    for label, start, end in matches:
        if label == "date" and not any(used[start:end]):
            span = doc[start:end]
            value = span.text[3:] if span[0].lower_ == "on" else span.text
            found.append(Found("date", span.start_char, span.end_char, value.strip(" ,")))
            for i in range(start, end):
                used[i] = True

    has_identity_value = any(f.entity in ("vin", "zip_code") for f in found)
    name = _name_after_trigger(doc, matches, used, strong_only=not has_identity_value)
    if name is None and has_identity_value:
        name = _leftover_name(doc, used)
    if name is not None:
        found.append(name)
    return sorted(found, key=lambda f: f.start)


def _zip_codes(doc: Doc, used: list[bool]) -> list[Found]:
    out = []
    for tok in doc:
        if used[tok.i] or not ZIP_TOKEN.match(tok.text):
            continue
        end_tok = tok
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        after = doc[tok.i + 2] if tok.i + 2 < len(doc) else None
        if nxt is not None and nxt.text == "-" and after is not None and ZIP4_TOKEN.match(after.text):
            end_tok = after
        for i in range(tok.i, end_tok.i + 1):
            used[i] = True
        out.append(Found("zip_code", tok.idx, end_tok.idx + len(end_tok), tok.text))
    return out


def _name_after_trigger(
    doc: Doc, matches: list[tuple[str, int, int]], used: list[bool], strong_only: bool
) -> Found | None:
    labels = ("name_trigger",) if strong_only else ("name_trigger", "weak_name_trigger")
    for label in labels:
        for match_label, _start, end in matches:
            if match_label != label:
                continue
            span = _name_words(doc, end, used)
            if span is not None:
                return Found("last_name", span.start_char, span.end_char, span.text)
    return None


def _name_words(doc: Doc, start: int, used: list[bool]) -> Span | None:
    """The run of name-like words starting at token ``start`` (hyphens kept)."""
    end = start
    words = 0
    while end < len(doc) and words < 4 and not used[end]:
        tok = doc[end]
        if tok.text == "-" and words and end + 1 < len(doc) and _is_name_word(doc[end + 1]):
            end += 1
            continue
        if not _is_name_word(tok) or tok.lower_ in NAME_STOP:
            break
        words += 1
        end += 1
    return doc[start:end] if words else None


def _is_name_word(tok: Token) -> bool:
    return bool(re.match(r"^[^\W\d_]+(['’][^\W\d_]+)?$", tok.text))


def _leftover_name(doc: Doc, used: list[bool]) -> Found | None:
    """In "Smith, 66044, 1HGCM...", the words left over are the name."""
    runs: list[Span] = []
    i = 0
    while i < len(doc):
        if not used[i] and _is_name_word(doc[i]) and doc[i].lower_ not in NAME_STOP:
            span = _name_words(doc, i, used)
            if span is not None:
                runs.append(span)
                i = span.end
                continue
        i += 1
    if len(runs) != 1:
        return None
    span = runs[0]
    return Found("last_name", span.start_char, span.end_char, span.text)
