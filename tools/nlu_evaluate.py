"""Score a trained model on the held-out tests/test_nlu.yml.

Used by the test suite (which fails below target) and by `make nlu-compare`
(which compares pipelines and sweeps the fallback threshold). Scoring the raw
intent ranking lets one parse pass serve every threshold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from rasa.core.agent import Agent

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class Prediction:
    text: str
    gold: str
    ranking: tuple[tuple[str, float], ...]  # without nlu_fallback, best first

    def predicted(self, threshold: float, ambiguity: float) -> str:
        """What the assistant acts on with this FallbackClassifier setting."""
        (top, conf), *rest = self.ranking
        second = rest[0][1] if rest else 0.0
        if conf < threshold or conf - second < ambiguity:
            return FALLBACK
        return top


@dataclass(frozen=True)
class Score:
    threshold: float
    ambiguity: float
    intent_accuracy: float  # in-scope examples answered with the right intent
    raw_accuracy: float  # in-scope examples whose top intent is right (no fallback)
    off_topic_caught: float  # off-topic examples sent to fallback or out_of_scope
    in_scope_fallback: float  # in-scope examples wrongly sent to fallback
    errors: tuple[tuple[str, str, str], ...]  # (text, gold, predicted)


def load_examples(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                out.append((line[2:].strip(), block["intent"]))
    return out


def score(predictions: Sequence[Prediction], threshold: float, ambiguity: float) -> Score:
    in_scope = [p for p in predictions if p.gold != OUT_OF_SCOPE]
    off_topic = [p for p in predictions if p.gold == OUT_OF_SCOPE]
    decided = [(p, p.predicted(threshold, ambiguity)) for p in predictions]
    errors = tuple(
        (p.text, p.gold, d)
        for p, d in decided
        if d != p.gold and not (p.gold == OUT_OF_SCOPE and d == FALLBACK)
    )
    correct = sum(1 for p, d in decided if p.gold != OUT_OF_SCOPE and d == p.gold)
    caught = sum(1 for p, d in decided if p.gold == OUT_OF_SCOPE and d in (FALLBACK, OUT_OF_SCOPE))
    fell_back = sum(1 for p, d in decided if p.gold != OUT_OF_SCOPE and d == FALLBACK)
    return Score(
        threshold=threshold,
        ambiguity=ambiguity,
        intent_accuracy=correct / len(in_scope),
        raw_accuracy=sum(1 for p in in_scope if p.ranking[0][0] == p.gold) / len(in_scope),
        off_topic_caught=caught / len(off_topic),
        in_scope_fallback=fell_back / len(in_scope),
        errors=errors,
    )


def load_agent(model_path: str) -> Agent:
    from rasa.core.agent import Agent  # heavy import, only when scoring

    if not Path(model_path).is_file():
        # Agent.load would fall back to the newest model in the folder and score that one
        raise FileNotFoundError(model_path)
    return Agent.load(model_path)


@cache
def _loaded(model_path: str) -> Agent:
    return load_agent(model_path)


def parse(agent: Agent, examples: Iterable[tuple[str, str]], read: bool = False) -> list[Prediction]:
    """Parse every example with the agent's NLU pipeline.

    With ``read``, each message is then read as the first message of a
    conversation by bot/understanding/reading.py, as the Rasa server does.
    """
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.understanding.reading import Context
    from bot.understanding.reading import read as read_in_conversation

    def model(text: str) -> dict[str, Any]:
        blank = DialogueStateTracker.from_events("evaluation", [])
        parsed: dict[str, Any] = agent.processor._parse_message_with_graph(UserMessage(text), blank)
        return parsed

    async def parse_all() -> list[Prediction]:
        out = []
        for text, gold in examples:
            parsed = await agent.parse_message(text)
            if read:
                parsed = read_in_conversation(parsed, Context(), model)
            ranking = tuple(
                (r["name"], float(r["confidence"]))
                for r in parsed.get("intent_ranking", [])
                if r["name"] != FALLBACK
            )
            out.append(Prediction(text, gold, ranking))
        return out

    return asyncio.run(parse_all())


def predict(model_path: str, examples: Iterable[tuple[str, str]], read: bool = False) -> list[Prediction]:
    """Parse every example with the model's NLU pipeline (see ``parse``)."""
    return parse(_loaded(model_path), examples, read)
