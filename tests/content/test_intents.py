"""bot/content/intents.py declares every intent of domain.yml, once, with its role."""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from bot.content.intents import (
    BY_NAME,
    CLAIM_QUESTIONS,
    FAQ_ORDER,
    INTENT_NAMES,
    INTENTS,
    LOOKUP_CONTRACT,
    PERSONAL_QUESTIONS,
    Role,
)
from bot.domain.answers import personal_answer
from bot.settings import ROOT
from tests.domain.test_answers import CONTRACT, TODAY


def domain() -> dict[str, Any]:
    with (ROOT / "domain.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_every_domain_intent_is_in_the_table_and_nothing_else() -> None:
    declared = domain()["intents"]
    missing = set(declared) - INTENT_NAMES
    unknown = INTENT_NAMES - set(declared)
    assert not missing, f"add to bot/content/intents.py: {sorted(missing)}"
    assert not unknown, f"not an intent in domain.yml: {sorted(unknown)}"


def test_each_intent_is_declared_once() -> None:
    twice = [name for name, n in Counter(i.name for i in INTENTS).items() if n > 1]
    assert not twice


def test_responses_and_forms_exist_in_the_domain() -> None:
    d = domain()
    for i in INTENTS:
        if i.response is not None:
            assert i.response in d["responses"], i.name
        if i.role is Role.FORM_TRIGGER:
            assert i.form in d["forms"], i.name
        else:
            assert i.form is None, i.name


def test_roles_have_what_they_need() -> None:
    for i in INTENTS:
        answered_by_a_response = i.role in (
            Role.CHIT_CHAT,
            Role.GENERAL,
            Role.PERSONALISABLE,
            Role.TRANSFER,
            Role.OUT_OF_SCOPE,
            Role.URGENT,
            Role.RESUME,
        )
        assert (i.response is not None) == answered_by_a_response, i.name
        assert (i.question is None) == (i.category is None), i.name


def test_the_faq_lists_every_question_once() -> None:
    assert Counter(FAQ_ORDER) == Counter(i.name for i in INTENTS if i.question)
    assert all(BY_NAME[n].role is not Role.CHIT_CHAT for n in FAQ_ORDER)


def test_every_personal_question_has_a_personal_answer() -> None:
    """From the contract (bot/domain/answers.py), or from its claim (CLAIM_QUESTIONS, actions/contracts.py)."""
    assert set(CLAIM_QUESTIONS) <= set(PERSONAL_QUESTIONS)
    for question in (*PERSONAL_QUESTIONS, LOOKUP_CONTRACT):
        if question not in CLAIM_QUESTIONS:
            assert personal_answer(question, CONTRACT, TODAY), question


def test_free_text_form_answers_are_the_form_answer_intents() -> None:
    """The slots filled from free text accept exactly the FORM_ANSWER intents."""
    zip_mapping = next(m for m in domain()["slots"]["zip_code"]["mappings"] if m["type"] == "from_text")
    answers = {i.name for i in INTENTS if i.role is Role.FORM_ANSWER}
    assert set(zip_mapping["not_intent"]) == INTENT_NAMES - answers
