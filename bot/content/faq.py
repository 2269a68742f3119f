"""The Help Center FAQ, generated from the sources the assistant answers from.

Questions come from ``bot.content.intents`` (``TOPICS``), answers from the responses in domain.yml
(with the contact numbers filled in) and search keywords from the intents'
training examples in data/nlu, so the FAQ can never disagree with the bot and
no text exists twice. Used by the web app (/faq, /faq.json, the embed) and by
``python -m bot faq export``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.content.intents import TOPICS, Intent
from bot.content.messages import template_values
from bot.settings import ROOT

DOMAIN_FILE = ROOT / "domain.yml"
NLU_DIR = ROOT / "data" / "nlu"
# Enough phrasings to make search forgiving, few enough to read in the page.
KEYWORDS_PER_TOPIC = 4


@dataclass(frozen=True)
class FaqEntry:
    id: str  # the intent name: stable, usable as an HTML id
    category: str
    question: str
    answer: str
    keywords: tuple[str, ...]


def load_responses(domain_file: Path = DOMAIN_FILE) -> dict[str, list[dict[str, Any]]]:
    with domain_file.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["responses"]


def response_text(
    responses: Mapping[str, Sequence[Mapping[str, Any]]],
    name: str,
    values: Mapping[str, str],
    channel: str | None = None,
) -> str:
    """The text Rasa would pick for ``name`` on ``channel``, variables filled.

    Rasa uses a channel's own variations when the response has any, otherwise
    the variations without a channel; with several, it picks at random, and
    the first one stands for them here. A missing variable raises KeyError.
    """
    variants = responses[name]
    own = [v for v in variants if channel is not None and v.get("channel") == channel]
    chosen = own or [v for v in variants if not v.get("channel")]
    return str(chosen[0]["text"]).format_map(values)


def training_examples(nlu_dir: Path = NLU_DIR) -> dict[str, list[str]]:
    """Example texts per intent, annotations stripped, in file order."""
    # Imported here: rasa's reader is only needed when the FAQ is built.
    from rasa.shared.nlu.training_data.loading import load_data

    examples: dict[str, list[str]] = {}
    for message in load_data(str(nlu_dir)).intent_examples:
        examples.setdefault(message.get("intent"), []).append(message.get("text"))
    return examples


def _keywords(question: str, examples: Sequence[str]) -> tuple[str, ...]:
    question = question.casefold().rstrip("?.")
    distinct = [e for e in examples if e.casefold().rstrip("?.") != question]
    return tuple(distinct[:KEYWORDS_PER_TOPIC])


def build_faq(
    domain_file: Path = DOMAIN_FILE,
    nlu_dir: Path = NLU_DIR,
    environ: Mapping[str, str] | None = None,
) -> list[FaqEntry]:
    """One entry per topic, in the order of ``bot.content.intents.FAQ_ORDER``."""
    responses = load_responses(domain_file)
    examples = training_examples(nlu_dir)
    values = template_values(environ)
    return [_entry(topic, responses, examples, values) for topic in TOPICS]


def _entry(
    topic: Intent,
    responses: Mapping[str, Sequence[Mapping[str, Any]]],
    examples: Mapping[str, Sequence[str]],
    values: Mapping[str, str],
) -> FaqEntry:
    if not (topic.question and topic.category and topic.response):
        raise ValueError(f"FAQ topic {topic.name} needs a question, a category and a response")
    return FaqEntry(
        id=topic.name,
        category=topic.category,
        question=topic.question,
        answer=response_text(responses, topic.response, values),
        keywords=_keywords(topic.question, examples.get(topic.name, [])),
    )


def faq_document(entries: Sequence[FaqEntry]) -> dict[str, Any]:
    """The /faq.json body (and the ``faq export`` file)."""
    return {"entries": [{**asdict(e), "keywords": list(e.keywords)} for e in entries]}


def json_ld(entries: Sequence[FaqEntry]) -> dict[str, Any]:
    """schema.org FAQPage structured data for search engines."""
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": e.question,
                "acceptedAnswer": {"@type": "Answer", "text": e.answer},
            }
            for e in entries
        ],
    }
