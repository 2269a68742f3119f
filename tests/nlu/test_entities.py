"""The rule-based extractor: VINs as people type them, one value per field, corrections, surnames."""

from __future__ import annotations

import pytest

from bot.domain.names import FILLER_WORDS, FUNCTION_WORDS
from bot.nlu.entities import extract

VIN = "5YJ3E1EAXPF402917"


def entities(text: str) -> dict[str, str]:
    found = extract(text)
    assert len({f.entity for f in found}) == len(found), found  # one value per field at most
    return {f.entity: f.value for f in found}


@pytest.mark.parametrize(
    "typed",
    [
        VIN,
        VIN.lower(),
        "5YJ3 E1EA XPF4 02917",
        "5yj3e-1eax-pf40-2917",
        "5YJ3E1-EAXPF-402917",
        "5YJ3E1EAXPF4O2917",  # O typed for 0: the check digit settles it
        "5YJ3E1EAXPF4029I7".replace("I", "1"),
    ],
)
def test_a_vin_however_it_is_typed(typed: str) -> None:
    assert entities(f"my vin is {typed}") == {"vin": VIN}


def test_grouped_vin_pieces_are_never_a_zip_code() -> None:
    assert entities("Smith-Jones 98101 5YJ3 E1EA XPF4 02917") == {
        "last_name": "Smith-Jones",
        "zip_code": "98101",
        "vin": VIN,
    }
    assert "zip_code" not in entities("5YJ3 E1EA XPF4 02971")  # a typo in a grouped VIN too
    assert entities("1ftew 1ep0l k5302 64") == {"vin": "1FTEW1EP0LK530264"}


@pytest.mark.parametrize(
    "text,zip_code",
    [
        ("oops zip is 98101 not 98110", "98101"),
        ("98110 should be 98101", "98101"),
        ("not 98110, 98101", "98101"),
        ("98110 was a typo, it's 98101", "98101"),
        ("sorry i meant 30303. Sampleton, 30303, 3VWC57BU5MM011549", "30303"),
        ("zip 60614-2301", "60614"),
    ],
)
def test_a_corrected_zip_keeps_the_right_value(text: str, zip_code: str) -> None:
    assert entities(text)["zip_code"] == zip_code


def test_two_different_values_without_a_correction_give_none() -> None:
    assert "zip_code" not in entities("98101 98110")


@pytest.mark.parametrize(
    "name", ["O'Neil", "Washington-Price", "De La Cruz", "Nguyen", "St. John", "O’Connor"]
)
@pytest.mark.parametrize(
    "template",
    [
        "{}, 98101, " + VIN,
        "{} 98101 " + VIN,
        "hi, {} here, 98101, " + VIN + ". what's my deductible?",
        "try again: {} 98111 " + VIN,
        "sorry i meant 98101. {}, 98101, " + VIN,
        "zip 98101, vin " + VIN + ", last name {}",
        "wait, my last name is spelled {}, with a dash",
        "my last name is not Smith it's {}",
        "start a gap claim for me pls. {}, zip 98101, vin " + VIN,
    ],
)
def test_surnames_are_read_whole(name: str, template: str) -> None:
    assert entities(template.format(name))["last_name"] == name


@pytest.mark.parametrize("word", sorted(FILLER_WORDS | FUNCTION_WORDS))
def test_a_filler_or_function_word_is_never_taken_for_a_surname(word: str) -> None:
    for text in (f"{word} 98101 {VIN}", f"{word}, 98101", f"{VIN} {word}", f"my last name is {word}"):
        assert "last_name" not in entities(text), text


def test_words_far_from_the_values_are_not_a_surname() -> None:
    assert "last_name" not in entities(f"what car does he have, 98101 and {VIN}? i need to know")
    assert "last_name" not in entities("um 98101 is my zip")
    assert (
        entities("when does my contract end? Testwell 66044-1234 vin 1FTEW1EP0LK530264")["last_name"]
        == "Testwell"
    )


def test_dates() -> None:
    assert entities("I sold it on November 10") == {"date": "November 10"}
    assert entities("sold it on oct 30, when's the deadline")["date"] == "oct 30"
