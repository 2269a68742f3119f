"""Language identification offline, on short messages (bot/understanding/language.py)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from bot.domain.verification import clean_last_name
from bot.settings import ROOT
from bot.understanding.language import CANDIDATES, _stop_words, foreign_language, warm_up
from tools.nlu_evaluate import load_examples

SPANISH = [
    "me quedé varado en la carretera, ayuda",
    "tuve un accidente y mi hijo está herido",
    "hablar con una persona por favor",
    "quiero cancelar mi contrato",
    "olvidé mi nombre de usuario del banco",
    "se me ponchó una llanta en la autopista",
    "hay humo saliendo del motor",
    "necesito ayuda por favor",
]


def english_messages() -> list[str]:
    """Every English sentence of the held-out sets and the training data: short, long, typos.

    Bare surnames ("De Los Santos") are left out: they are read as identity
    answers before the language is (tests/nlu/test_reading.py)."""
    texts = [t for f in ("tests/test_nlu.yml", "tests/nlu_dev.yml") for t, _ in load_examples(ROOT / f)]
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        if path.name != "other_language.yml":
            texts += [t for t, _ in load_examples(path)]
    cases = yaml.safe_load(Path(ROOT / "tests/conversations_heldout/single_turns.yml").read_text())["cases"]
    texts += [c["text"] for c in cases if "Spanish" not in c.get("note", "")]
    return [t for t in texts + ["ok", "thx!!", "AGENT"] if clean_last_name(t) != t]


@pytest.mark.parametrize("text", SPANISH)
def test_spanish_is_recognised(text: str) -> None:
    assert foreign_language(text) in ("es", "ca", "gl")  # Catalan and Galician get the Spanish reply


def test_other_scripts_are_recognised() -> None:
    assert foreign_language("我的车在高速公路上抛锚了") == "zh"
    assert foreign_language("xe của tôi bị hỏng trên đường cao tốc") == "vi"


def test_english_is_never_taken_for_another_language() -> None:
    flagged = [t for t in english_messages() if foreign_language(t)]
    assert flagged == []


@pytest.mark.parametrize("text", ["hola", "gracias", "Núñez"])
def test_single_words_are_left_to_the_model(text: str) -> None:
    assert foreign_language(text) is None


@pytest.mark.parametrize("language", ["es", "de", "en", "ca"])
def test_function_words_are_spacys_read_without_importing_the_language(language: str) -> None:
    """Read from the file (French's package takes 4 s to import), the same set."""
    code = {"ca": "es"}.get(language, language)  # Catalan is read with Spanish's words
    module = importlib.import_module(f"spacy.lang.{code}.stop_words")
    assert _stop_words(language) == frozenset(module.STOP_WORDS)


def test_the_warm_up_reads_every_candidates_words() -> None:
    warm_up()
    assert all(_stop_words(language) for language in CANDIDATES)
