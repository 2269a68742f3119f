"""Rule-based extraction of VINs, ZIP codes, last names and dates.

No pretrained English model is available offline, so spaCy does what needs
none: a blank English tokenizer plus Matcher patterns for dates and for the
phrases that introduce a name. VINs and ZIP codes are read from the raw text
(bot/nlu/values.py), surnames from the words around them (bot/nlu/surnames.py).
The patterns are deliberately conservative: a missed entity is re-asked by
the form, while a wrong one would fill a slot with someone else's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher

from bot.nlu import surnames
from bot.nlu.values import find_vin, find_zip

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
    [{"LOWER": {"IN": ["surname", "lastname"]}}, {"LOWER": {"IN": ["is", ":"]}, "OP": "?"}],
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
    """Return the VIN, ZIP code, last name and dates mentioned in ``text`` (one of each at most)."""
    nlp, matcher = _pipeline()
    vin = find_vin(text)
    taken = [vin] if vin else []
    zip_code = find_zip(text, taken)
    values = [v for v in (vin, zip_code) if v is not None]
    found = [Found(v.entity, v.start, v.end, v.value) for v in values]
    spans = [(v.start, v.end) for v in values]
    dates: list[tuple[int, int]] = []

    doc = nlp(text)
    matches = [(doc.vocab.strings[m], doc[s:e]) for m, s, e in matcher(doc)]
    for label, span in matches:
        if label == "date" and not any(s < span.end_char and span.start_char < e for s, e in spans + dates):
            value = span.text[3:] if span[0].lower_ == "on" else span.text
            found.append(Found("date", span.start_char, span.end_char, value.strip(" ,")))
            dates.append((span.start_char, span.end_char))

    name = _surname(text, surnames.pieces(text, spans, dates), matches, with_values=bool(values))
    if name is not None:
        found.append(name)
    return sorted(found, key=lambda f: f.start)


def _surname(text: str, ps: list[surnames.Piece], matches: list, with_values: bool) -> Found | None:
    """After "my last name is…"; with a VIN or ZIP code also after "I'm…", or the one name next to them."""
    labels = ("name_trigger", "weak_name_trigger") if with_values else ("name_trigger",)
    for label in labels:
        for match_label, span in matches:
            if match_label == label and (c := surnames.after(ps, span.end_char)) is not None:
                return Found("last_name", c.start, c.end, text[c.start : c.end])
    if not with_values:
        return None
    beside = [
        c for c in surnames.candidates(ps) if surnames.next_to_value(ps, c) and not surnames.negated(ps, c)
    ]
    if len(beside) != 1:
        return None
    return Found("last_name", beside[0].start, beside[0].end, text[beside[0].start : beside[0].end])
