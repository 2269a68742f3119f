"""Intent classifier: logistic regression on TF-IDF word and character n-grams.

Chosen over DIET by `make nlu-compare` (docs/nlu.md): more accurate on the
held-out set and trained in seconds instead of minutes. Word 1-2-grams carry
the phrasing, `char_wb` n-grams carry typos and SMS shorthand; sublinear TF-IDF
keeps long, rambling messages from drowning their few telling words. Digits
are read as one symbol: which ZIP or VIN a customer typed never tells the
intent, that they typed one does. It reads the message text itself, so it
needs no tokenizer or featurizer before it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union

logger = logging.getLogger(__name__)

MODEL_FILE = "intent_classifier.skops"
# skops refuses any other type on load; a fitted TF-IDF keeps its idf as a sparse diagonal.
TRUSTED_TYPES = ["scipy.sparse._csr.csr_matrix"]
_DIGIT = re.compile(r"\d")


def normalised(text: str) -> str:
    return _DIGIT.sub("0", text)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    """Sets `intent` and `intent_ranking` from the message text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "C": 30.0,  # inverse regularisation strength of the logistic regression
            "max_iter": 1000,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    def _new_model(self) -> Pipeline:
        features = make_union(
            TfidfVectorizer(
                ngram_range=tuple(self._config["word_ngrams"]),
                token_pattern=r"(?u)\b\w+\b",  # one-letter words too: "u", "r", "i"
                sublinear_tf=True,
            ),
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(self._config["char_ngrams"]),
                sublinear_tf=True,
            ),
        )
        classifier = LogisticRegression(C=self._config["C"], max_iter=self._config["max_iter"])
        return make_pipeline(features, classifier)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        intents = [e.get(INTENT) for e in examples]
        if len(set(intents)) < 2:
            logger.warning("%s needs examples of two intents or more; not trained", type(self).__name__)
            return self._resource
        self._model = self._new_model().fit([normalised(e.get(TEXT)) for e in examples], intents)
        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self._model, directory / MODEL_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None or not messages:
            return messages
        probabilities = self._model.predict_proba([normalised(m.get(TEXT) or "") for m in messages])
        intents = self._model.classes_
        length = self._config["ranking_length"] or len(intents)
        for message, row in zip(messages, probabilities):
            ranking = [
                {"name": str(intents[i]), "confidence": float(row[i])} for i in row.argsort()[::-1][:length]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = sio.load(directory / MODEL_FILE, trusted=TRUSTED_TYPES)
        except ValueError:  # nothing was persisted: it had too few intents to train
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, model)
