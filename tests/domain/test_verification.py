"""Reading identity answers typed in free text."""

from __future__ import annotations

import pytest

from bot.domain.verification import (
    clean_last_name,
    name_candidates,
    surname_answer,
    vin_candidate,
    zip_candidate,
)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Smith", "Smith"),
        ("my last name is O'Connor", "O'Connor"),
        ("it's Núñez.", "Núñez"),
        ("last name: Smith-Jones", "Smith-Jones"),
        ("de la Cruz", "de la Cruz"),
        ("I'm Van der Berg", "Van der Berg"),
    ],
)
def test_names_are_read(text: str, expected: str) -> None:
    assert clean_last_name(text) == expected


@pytest.mark.parametrize(
    "text", ["yes", "Thanks", "12345", "", "a b c d e f g", "x" * 61, "smith@example.com"]
)
def test_non_names_are_refused(text: str) -> None:
    assert clean_last_name(text) is None


def test_name_candidates_try_every_suffix() -> None:
    assert name_candidates("Maria de la Cruz") == ["Maria de la Cruz", "de la Cruz", "la Cruz", "Cruz"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("5YJ3E1EAXPF402917", "5YJ3E1EAXPF402917"),
        ("my vin is 5yj3e1eaxpf402917", "5YJ3E1EAXPF402917"),
        ("5YJ3E 1EAXP F402917", "5YJ3E1EAXPF402917"),
        ("VIN: 5YJ3E1-EAXPF-402917.", "5YJ3E1EAXPF402917"),
        ("its 1hgcm8263", "1HGCM8263"),
    ],
)
def test_vin_candidate(text: str, expected: str) -> None:
    assert vin_candidate(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("98101", "98101"),
        ("zip is 98101-1234", "98101"),
        ("98101 1234", "98101"),
        ("123456", None),
        ("none", None),
    ],
)
def test_zip_candidate(text: str, expected: object) -> None:
    assert zip_candidate(text) == expected


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("quimby", "stop", "quimby"),
        ("Haddad", "nlu_fallback", "Haddad"),
        ("Van der Berg", "inform", "Van der Berg"),
        ("my last name is Okonkwo-Bell", "greet", "Okonkwo-Bell"),
        ("stop", "stop", None),
        ("help", "urgent_roadside", None),
        ("never mind", "stop", None),
        ("is my rental covered?", "ask_rental", None),
        ("rental covered", "ask_rental", None),
        ("/greet", "greet", None),
    ],
)
def test_surname_answer(text: str, intent: str, expected: object) -> None:
    assert surname_answer(text, intent) == expected
