"""The TF-IDF intent classifier as a Rasa graph component: train, rank, persist, load."""

from __future__ import annotations

from pathlib import Path

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from skops.io.exceptions import UntrustedTypesFoundException

from bot.nlu.intent_classifier import MODEL_FILE, TfidfIntentClassifier

EXAMPLES = {
    "greet": ["hi", "hello there", "hey", "good morning", "hiya"],
    "ask_rental": ["is my rental covered", "do you pay for a rental car", "rental car while in the shop"],
    "ask_cancel": ["how do i cancel", "cancel my contract", "i want to cancel the plan"],
    "inform": ["98101", "zip is 30303", "my zip code is 60614"],
}
RESOURCE = Resource("intent_classifier")


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def config(**overrides: object) -> dict:
    return {**TfidfIntentClassifier.get_default_config(), **overrides}


def training_data(examples: dict[str, list[str]]) -> TrainingData:
    return TrainingData([Message.build(text=t, intent=i) for i, texts in examples.items() for t in texts])


def trained(storage: LocalModelStorage, examples: dict[str, list[str]] = EXAMPLES) -> TfidfIntentClassifier:
    component = TfidfIntentClassifier.create(config(), storage, RESOURCE, context())
    component.train(training_data(examples))
    return component


def parse(component: TfidfIntentClassifier, text: str) -> Message:
    return component.process([Message.build(text=text)])[0]


def test_the_ranking_is_best_first_and_the_intent_is_its_head(tmp_path: Path) -> None:
    message = parse(trained(LocalModelStorage(tmp_path)), "will you pay for my rental car?")
    ranking = message.get("intent_ranking")
    assert message.get("intent") == ranking[0]
    assert ranking[0]["name"] == "ask_rental"
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert {r["name"] for r in ranking} == set(EXAMPLES)
    assert sum(confidences) == pytest.approx(1.0)


def test_the_ranking_is_cut_to_its_configured_length(tmp_path: Path) -> None:
    component = TfidfIntentClassifier.create(
        config(ranking_length=2), LocalModelStorage(tmp_path), RESOURCE, context()
    )
    component.train(training_data(EXAMPLES))
    assert len(parse(component, "cancel it").get("intent_ranking")) == 2


def test_any_zip_reads_like_every_other_zip(tmp_path: Path) -> None:
    """Digits are one symbol, so a ZIP never seen in training is as clearly `inform` as a known one."""
    component = trained(LocalModelStorage(tmp_path))
    known, unseen = parse(component, "98101").get("intent"), parse(component, "47250").get("intent")
    assert unseen["name"] == "inform"
    assert unseen["confidence"] == pytest.approx(known["confidence"])


def test_a_loaded_model_ranks_as_the_trained_one(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    original = parse(trained(storage), "how can i cancel").get("intent_ranking")
    loaded = TfidfIntentClassifier.load(config(), storage, RESOURCE, context())
    assert parse(loaded, "how can i cancel").get("intent_ranking") == original


def test_loading_refuses_a_model_file_with_untrusted_types(tmp_path: Path) -> None:
    """skops is told which types to trust: a tampered file holding anything else is not loaded."""
    storage = LocalModelStorage(tmp_path)
    trained(storage)
    with storage.write_to(RESOURCE) as directory:
        sio.dump(TfidfVectorizer(preprocessor=str.upper).fit(["tampered file"]), directory / MODEL_FILE)
    with pytest.raises(UntrustedTypesFoundException):
        TfidfIntentClassifier.load(config(), storage, RESOURCE, context())


def test_with_one_intent_nothing_is_trained_and_messages_pass_untouched(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    component = trained(storage, {"greet": EXAMPLES["greet"]})
    loaded = TfidfIntentClassifier.load(config(), storage, RESOURCE, context())
    for c in (component, loaded):
        assert parse(c, "hello").get("intent") is None
