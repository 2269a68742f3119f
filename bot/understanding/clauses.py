"""The separate questions in one message.

"how do i cancel and would i get a full refund? also if i sell the car can i
transfer it" holds two topics. A message is cut at sentence ends and at the
joins people put between questions (", and also", "? and", " plus ", " and
is…"); each clause is then classified on its own (bot/understanding/reading.py).
"""

from __future__ import annotations

import re

# "and" starts a new question only before a question word or auxiliary.
_QUESTION_START = (
    r"(?:how|what|whats|what's|when|where|who|which|why|can|could|do|does|did|is|are|will|would|should|"
    r"may|am|if|any)"
)
_SPLIT = re.compile(
    r"[?!;]+\s*|(?<=\w\w\w)\.\s+|\s*,?\s+(?:and\s+)?also\s+|\s*,?\s+plus\s+|"
    rf"\s*,?\s+(?:and|but|or)\s+(?={_QUESTION_START}\b)|,\s+(?={_QUESTION_START}\b)",
    re.IGNORECASE,
)
MIN_CLAUSE_WORDS = 2


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` that hold at least two words, in order."""
    parts = [p.strip(" ,.") for p in _SPLIT.split(text)]
    return [p for p in parts if len(p.split()) >= MIN_CLAUSE_WORDS]
