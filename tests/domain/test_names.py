"""Which words can be a surname: fillers and function words never are, real surnames always."""

from __future__ import annotations

import pytest

from bot.domain.names import FILLER_WORDS, FUNCTION_WORDS, REPLY_VERBS, surname_from_words
from bot.domain.verification import clean_last_name, surname_answer

REAL_SURNAMES = [
    "O'Neil",
    "Washington-Price",
    "De La Cruz",
    "Nguyen",
    "St. John",
    "O’Connor",
    "Van der Berg",
    "Le",
]
# Every filler and function word, and a few a customer types around a correction.
NEVER_SURNAMES = sorted(FILLER_WORDS | FUNCTION_WORDS | REPLY_VERBS) + [
    "Oops",
    "SORRY",
    "Um",
    "meant",
    "spelled",
]


@pytest.mark.parametrize("word", NEVER_SURNAMES)
def test_a_filler_or_function_word_is_never_a_surname(word: str) -> None:
    assert surname_from_words([word]) is None
    assert clean_last_name(word) is None
    assert surname_answer(word, "inform") is None


@pytest.mark.parametrize("name", REAL_SURNAMES)
def test_real_surnames_are_kept_whole(name: str) -> None:
    assert clean_last_name(name) == name
    assert surname_answer(name, "inform") == name


@pytest.mark.parametrize("name", REAL_SURNAMES)
@pytest.mark.parametrize(
    "template",
    [
        "oops, {}",
        "sorry i meant {}",
        "um it's {}",
        "wait, my last name is spelled {}, with a dash",
        "{} not Smyth",
        "not Smyth, {}",
        "ugh. {}",
        "{} please",
    ],
)
def test_a_correction_keeps_only_the_surname(name: str, template: str) -> None:
    assert clean_last_name(template.format(name)) == name


@pytest.mark.parametrize(
    "words", [["Smith", "the", "Jones"], ["de", "la"], ["one", "two", "three", "four", "five"]]
)
def test_runs_that_cannot_be_a_surname(words: list[str]) -> None:
    assert surname_from_words(words) is None
