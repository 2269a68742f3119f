"""The Help Center FAQ, generated from the sources the assistant answers from.

Questions come from ``bot.content.intents`` (``TOPICS``), answers from the responses in domain.yml
(with the contact numbers filled in) and the search index from the intents'
training examples in data/nlu, so the FAQ can never disagree with the bot and
no text exists twice. The index is every word of the entry and of all the
ways customers ask it ("totalled", "money back", "flat tire" are in the
training data); the embed matches word forms and typos against it
(bot/web/static/faq-search.js). Used by the web app (/faq, /faq.json, the embed) and by
``python -m bot faq export``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.content.intents import TOPICS, Intent
from bot.content.messages import template_values
from bot.settings import ROOT

DOMAIN_FILE = ROOT / "domain.yml"
NLU_DIR = ROOT / "data" / "nlu"
# A word as the search sees it: lower case, apostrophes dropped ("don't" is "dont"),
# split at anything else that is not a letter or digit; faq-search.js splits the query alike.
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class FaqEntry:
    id: str  # the intent name: stable, usable as an HTML id
    category: str
    question: str
    answer: str
    search_terms: tuple[str, ...]  # every word of the entry and of its training examples, sorted


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


def training_examples(nlu_dir: Path = NLU_DIR) -> dict[str, tuple[str, ...]]:
    """Example texts per intent, annotations stripped, in file order.

    Read once per version of the files: Rasa's reader takes most of a second,
    and every web app built (one per test of it) asks again.
    """
    files = tuple(
        (str(path), path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(nlu_dir.rglob("*"))
        if path.suffix in (".yml", ".yaml")
    )
    return dict(_read_examples(str(nlu_dir), files))


@lru_cache(maxsize=4)
def _read_examples(nlu_dir: str, files: tuple[tuple[str, int, int], ...]) -> dict[str, tuple[str, ...]]:
    """``files`` (path, mtime, size) is the cache key only: a changed file is read again."""
    # Imported here: rasa's reader is only needed when the FAQ is built.
    from rasa.shared.nlu.training_data.loading import load_data

    examples: dict[str, list[str]] = {}
    for message in load_data(nlu_dir).intent_examples:
        examples.setdefault(message.get("intent"), []).append(message.get("text"))
    return {intent: tuple(texts) for intent, texts in examples.items()}


def search_terms(texts: Sequence[str]) -> tuple[str, ...]:
    """The distinct words of ``texts``, sorted (the embed stems them and forgives typos)."""
    words: set[str] = set()
    for text in texts:
        words.update(_WORD.findall(text.casefold().replace("'", "").replace("\u2019", "")))
    return tuple(sorted(words))


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
    answer = response_text(responses, topic.response, values)
    return FaqEntry(
        id=topic.name,
        category=topic.category,
        question=topic.question,
        answer=answer,
        search_terms=search_terms([topic.category, topic.question, answer, *examples.get(topic.name, [])]),
    )


def faq_document(entries: Sequence[FaqEntry]) -> dict[str, Any]:
    """The /faq.json body (and the ``faq export`` file).

    ``structured_data`` is the page's schema.org FAQPage, for the embed to put
    on the Help Center's page: search engines read it there too.
    """
    return {
        "entries": [{**asdict(e), "search_terms": list(e.search_terms)} for e in entries],
        "structured_data": json_ld(entries),
    }


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
