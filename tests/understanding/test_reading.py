"""Reading a message in its conversation (bot/understanding/reading.py), with a stand-in for the model."""

from __future__ import annotations

from typing import Any

import pytest

from bot.nlu.entities import extract
from bot.understanding.reading import Context, read

# What the stand-in model says about a clause: the first keyword found decides.
KEYWORDS = [
    ("cancel", "ask_cancel"),
    ("transfer", "ask_transfer"),
    ("deductible", "ask_deductible"),
    ("approval", "ask_authorization"),
    ("shop", "ask_repair_shop"),
    ("rental", "ask_rental"),
    ("username", "forgot_username"),
    ("start", "start_gap_claim"),
    ("gap", "ask_gap"),
    ("plan am i on", "ask_my_plan"),
    ("smoke", "urgent_accident"),
]


def model(text: str) -> dict[str, Any]:
    """A parse of ``text``: the keyword's intent at 0.95, else an unsure greet."""
    lowered = text.lower()
    name, confidence = next(((i, 0.95) for k, i in KEYWORDS if k in lowered), ("greet", 0.3))
    entities = [{"entity": f.entity, "start": f.start, "end": f.end, "value": f.value} for f in extract(text)]
    return {
        "text": text,
        "intent": {"name": name, "confidence": confidence},
        "intent_ranking": [{"name": name, "confidence": confidence}],
        "entities": entities,
    }


def reading(text: str, awaiting: str | None = None, intent: str | None = None) -> dict[str, Any]:
    parsed = model(text)
    if intent:
        parsed["intent"] = {"name": intent, "confidence": 0.9}
    return read(parsed, Context(awaiting), model)


@pytest.mark.parametrize("awaiting", ["last_name", "identity"])
@pytest.mark.parametrize("said", ["stop", "out_of_scope", "greet", "nlu_fallback", "affirm"])
def test_a_bare_surname_answers_the_question_whatever_the_model_says(awaiting: str, said: str) -> None:
    read_as = reading("Sampleton", awaiting, said)
    assert read_as["intent"]["name"] == "inform"
    assert {"entity": "last_name", "value": "Sampleton"}.items() <= read_as["entities"][-1].items()


@pytest.mark.parametrize("text", ["yes", "no thanks", "ok", "help", "is my rental covered?"])
def test_replies_that_are_not_a_surname_keep_their_intent(text: str) -> None:
    assert "last_name" not in {e["entity"] for e in reading(text, "identity")["entities"]}


@pytest.mark.parametrize("awaiting", ["last_name", "identity"])
@pytest.mark.parametrize(
    ("text", "intent"),
    [("my car got totaled, what do I do now", "ask_gap"), ("how do i transfer it", "ask_transfer")],
)
def test_a_question_in_several_words_is_never_read_as_a_surname(
    awaiting: str, text: str, intent: str
) -> None:
    read_as = reading(text, awaiting, intent)
    assert read_as["intent"]["name"] == intent
    assert "last_name" not in {e["entity"] for e in read_as["entities"]}


def test_an_emergency_is_never_read_as_a_surname() -> None:
    assert reading("Fire", "last_name", "urgent_accident")["intent"]["name"] == "urgent_accident"


def test_without_a_question_asked_a_word_is_not_a_surname() -> None:
    assert reading("Sampleton", None, "out_of_scope")["intent"]["name"] == "out_of_scope"


def test_identity_values_are_an_answer() -> None:
    assert reading("Sampleton, 30303, 3VWC57BU5MM011549", None, "greet")["intent"]["name"] == "inform"
    assert reading("oops zip is 98101 not 98110", "vin", "ask_gap")["intent"]["name"] == "inform"


def test_identity_values_with_a_question_act_on_the_question() -> None:
    read_as = reading(
        "hi, Smith-Jones here, 98101, 5YJ3E1EAXPF402917. what's my deductible?", intent="inform"
    )
    assert read_as["intent"]["name"] == "ask_deductible"
    assert {e["entity"] for e in read_as["entities"]} == {"last_name", "zip_code", "vin"}
    start = reading(
        "start a gap claim for me pls. o'connor, zip 60614, vin 1HGFE2F56MA104231", intent="inform"
    )
    assert start["intent"]["name"] == "start_gap_claim"


@pytest.mark.parametrize(
    "text,main,follow_ups",
    [
        (
            "how do i cancel and would i get a full refund? also if i sell the car can i transfer it",
            "ask_cancel",
            ["ask_transfer"],
        ),
        (
            "is there a deductible and do i need approval before the repair?",
            "ask_deductible",
            ["ask_authorization"],
        ),
        ("can i use any shop? and do i get a rental w basic guard", "ask_repair_shop", ["ask_rental"]),
        ("forgot my bank username, and also whats the number for gap claims", "forgot_username", ["ask_gap"]),
    ],
)
def test_each_question_of_a_message_is_answered(text: str, main: str, follow_ups: list[str]) -> None:
    read_as = reading(text, intent=main)
    assert read_as["intent"]["name"] == main
    assert [f["intent"] for f in read_as["follow_ups"]] == follow_ups


def test_an_emergency_among_questions_comes_first() -> None:
    read_as = reading("is my rental covered? there's smoke coming from the hood now", intent="ask_rental")
    assert read_as["intent"]["name"] == "urgent_accident"
    assert [f["intent"] for f in read_as["follow_ups"]] == ["ask_rental"]


def test_a_clear_clause_rescues_an_unclear_message() -> None:
    read_as = reading("sold it on november 20th. when do i have to transfer it by", intent="nlu_fallback")
    assert read_as["intent"]["name"] == "ask_transfer" and not read_as.get("follow_ups")


def test_one_question_stays_as_the_model_read_it() -> None:
    parsed = model("how do i cancel my contract")
    assert read(parsed, Context(), model) == parsed


@pytest.mark.parametrize(
    "text,language",
    [
        ("me quedé varado en la carretera, ayuda", "es"),
        ("quiero cancelar mi contrato", "es"),
        ("je veux annuler mon contrat", "fr"),
    ],
)
def test_another_language_is_read_as_such(text: str, language: str) -> None:
    read_as = reading(text, intent="ask_cancel")
    assert read_as["intent"]["name"] == "other_language"
    assert read_as["language"] == language


@pytest.mark.parametrize("name", ["De Los Santos", "van der Berg"])
def test_a_surname_with_particles_is_not_another_language(name: str) -> None:
    assert reading(name, None, "inform")["intent"]["name"] == "inform"


def test_button_payloads_are_left_alone() -> None:
    parsed = model("/ask_rental")
    assert read(parsed, Context("identity"), model) == parsed


def test_a_named_danger_the_model_half_saw_is_an_emergency() -> None:
    parsed = model("wait my car just started smoking on the freeway")
    parsed["intent"] = {"name": "nlu_fallback", "confidence": 0.4}
    parsed["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "inform", "confidence": 0.3},
        {"name": "urgent_accident", "confidence": 0.25},
    ]
    assert read(parsed, Context("zip_code"), model)["intent"]["name"] == "urgent_accident"
    parsed["text"] = "what does the plan cover"  # no danger named: left to the fallback
    assert read(parsed, Context(), model)["intent"]["name"] == "nlu_fallback"


def test_a_clause_starts_a_form_only_as_the_one_clear_question() -> None:
    unclear = model("ok whatever. what plan am i on")
    unclear["intent"] = {"name": "nlu_fallback", "confidence": 0.4}
    assert read(unclear, Context(), model)["intent"]["name"] == "ask_my_plan"
    with_a_topic = model("how do i cancel. what plan am i on")
    read_as = read(with_a_topic, Context(), model)
    assert read_as["intent"]["name"] == "ask_cancel" and not read_as.get("follow_ups")
