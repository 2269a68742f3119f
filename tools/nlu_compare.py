"""Compare NLU pipelines: cold training time, held-out scores, fallback sweep.

    make nlu-compare                                      # every config in docs/nlu_configs/
    .venv/bin/python -m tools.nlu_compare docs/nlu_configs/a_diet.yml   # only these

Each candidate pipeline is trained with config.yml's policies as the whole
`rasa train` that `make train` runs (NLU + core), from an empty Rasa cache so
the time is a cold training; wall clock and CPU seconds are recorded, with the
machine's load when the training started (the cores are shared). The
candidate whose pipeline is config.yml's is also trained on the data grown by
a third (noisy copies of real examples, in a temporary copy), to show how its
time scales. Each model is scored on the held-out tests/test_nlu.yml (never
trained on, never used to edit the training data) and on tests/nlu_dev.yml
(the earlier set whose errors guided data work, so its score is optimistic).

Writes every table to results/nlu_compare.md; a run over all configs also
replaces the summary, the chosen pipeline's threshold sweep and its grown-data
time in docs/nlu.md (between the nlu-compare markers).
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from rasa.core.agent import Agent
from rasa.utils.log_utils import configure_structlog

from bot.settings import ROOT
from tools.nlu_evaluate import Prediction, Score, load_agent, load_examples, parse, score
from tools.rasa_train import Training, train

CONFIG_DIR = ROOT / "docs" / "nlu_configs"
OUT = ROOT / "results" / "nlu_compare"
DOC = ROOT / "docs" / "nlu.md"
DOC_BEGIN = "<!-- nlu-compare: begin -->"
DOC_END = "<!-- nlu-compare: end -->"
THRESHOLDS = [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7]
SETS = {"held-out": "test_nlu.yml", "dev": "nlu_dev.yml"}
GROWTH = 0.3  # the training data is expected to grow by about this much


@dataclass(frozen=True)
class Candidate:
    config: Path
    summary: str  # the config's first comment line
    threshold: float
    ambiguity: float
    chosen: bool  # its pipeline (fallback threshold included) is config.yml's


def fallback_of(config: dict) -> tuple[float, float]:
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    return fallback["threshold"], fallback["ambiguity_threshold"]


def candidate(path: Path) -> Candidate:
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    product = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    return Candidate(
        config=path,
        summary=first_line.lstrip("# ").strip(),
        threshold=fallback_of(config)[0],
        ambiguity=fallback_of(config)[1],
        chosen=config["pipeline"] == product["pipeline"],
    )


def whole_config(candidate_config: Path, target: Path) -> Path:
    """The candidate's pipeline with the product's policies: what `make train` would train."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"] = yaml.safe_load(candidate_config.read_text(encoding="utf-8"))["pipeline"]
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return target


def noisy(text: str, rng: random.Random) -> str:
    """A typo a customer might make: two neighbouring letters swapped, or one dropped."""
    letters = [i for i, ch in enumerate(text[:-1]) if ch.isalpha() and text[i + 1].isalpha()]
    if not letters:
        return text + "?"
    i = rng.choice(letters)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


def grown_data(target: Path, growth: float = GROWTH, seed: int = 0) -> Path:
    """A copy of data/ whose NLU examples grow by `growth`: noisy copies of random examples."""
    shutil.copytree(ROOT / "data", target)
    rng = random.Random(seed)
    for path in sorted((target / "nlu").glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in content["nlu"]:
            if "intent" not in block:
                continue
            lines = [line for line in block["examples"].splitlines() if line.strip().startswith("- ")]
            texts = [line.strip()[2:].strip() for line in lines]
            extra = {noisy(t, rng) for t in rng.sample(texts, round(growth * len(texts)))} - set(texts)
            block["examples"] = "".join(f"- {t}\n" for t in texts + sorted(extra))
        path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


def sweep(preds: list[Prediction], ambiguity: float) -> list[str]:
    lines = [
        "| fallback threshold | intent accuracy | top-1 (no fallback) | off-topic caught | in-scope sent to fallback |",
        "|---|---|---|---|---|",
    ]
    for t in THRESHOLDS:
        s = score(preds, t, ambiguity)
        lines.append(
            f"| {t:.2f} | {s.intent_accuracy:.1%} | {s.raw_accuracy:.1%} | "
            f"{s.off_topic_caught:.1%} | {s.in_scope_fallback:.1%} |"
        )
    return lines


def timed_predictions(agent: Agent, examples: list[tuple[str, str]]) -> tuple[list[Prediction], float]:
    """The predictions, and the milliseconds one parse took on average (the model already loaded)."""
    started = time.monotonic()
    preds = parse(agent, examples)
    return preds, 1000 * (time.monotonic() - started) / len(examples)


def summary_row(c: Candidate, training: Training, scores: dict[str, Score], parse_ms: float) -> str:
    held, dev = scores["held-out"], scores["dev"]
    name = f"**`{c.config.name}`** (config.yml)" if c.chosen else f"`{c.config.name}`"
    return (
        f"| {name} — {c.summary} | {training.wall_seconds:.0f} s | {training.cpu_seconds:.0f} s | "
        f"{training.load_at_start:.1f} | {c.threshold:.2f} | {held.raw_accuracy:.1%} | "
        f"{held.intent_accuracy:.1%} | {held.off_topic_caught:.1%} | "
        f"{dev.intent_accuracy:.1%} | {dev.off_topic_caught:.1%} | {parse_ms:.1f} ms |"
    )


SUMMARY_HEADER = [
    "| config | cold `rasa train` (wall) | CPU | load at start | fallback threshold "
    "| held-out top-1 | held-out intent accuracy | held-out off-topic caught "
    "| dev intent accuracy | dev off-topic caught | parse (held-out, per message) |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
]


def write_doc(block: list[str]) -> None:
    head, rest = DOC.read_text(encoding="utf-8").split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    DOC.write_text(f"{head}{DOC_BEGIN}\n" + "\n".join(block) + f"\n{DOC_END}{tail}", encoding="utf-8")


def grown_training(config: Path) -> Training:
    with tempfile.TemporaryDirectory(prefix="nlu-compare-grown-") as tmp:
        return train(config, Path(tmp) / "grown.tar.gz", data=grown_data(Path(tmp) / "data"), cold=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("configs", nargs="*", type=Path, help="candidate configs (default: all)")
    args = parser.parse_args()
    configs = [p.resolve() for p in args.configs] or sorted(CONFIG_DIR.glob("*.yml"))
    writes_doc = not args.configs
    text = DOC.read_text(encoding="utf-8")
    if writes_doc and not (DOC_BEGIN in text and DOC_END in text):
        sys.exit(f"{DOC} lacks the {DOC_BEGIN} / {DOC_END} markers")
    configure_structlog(logging.WARNING)  # not a debug line per parsed message
    sets = {name: load_examples(ROOT / "tests" / file) for name, file in SETS.items()}
    OUT.mkdir(parents=True, exist_ok=True)
    summary, chosen, details = [*SUMMARY_HEADER], [], []
    for c in map(candidate, configs):
        model = OUT / f"{c.config.stem}.tar.gz"
        training = train(whole_config(c.config, OUT / c.config.name), model, cold=True)
        agent = load_agent(str(model))
        timed = {name: timed_predictions(agent, examples) for name, examples in sets.items()}
        preds = {name: p for name, (p, _) in timed.items()}
        scores = {name: score(p, c.threshold, c.ambiguity) for name, p in preds.items()}
        summary.append(summary_row(c, training, scores, timed["held-out"][1]))
        details.append(
            f"### `{c.config.name}` — cold `rasa train` {training.wall_seconds:.0f} s wall, "
            f"{training.cpu_seconds:.0f} s CPU (load {training.load_at_start:.1f} at start)\n"
        )
        for name, p in preds.items():
            details += [f"{name} set ({len(p)} messages):\n", *sweep(p, c.ambiguity), ""]
        if c.chosen:
            grown = grown_training(OUT / c.config.name)
            chosen = [
                f"\nFallback threshold sweep of the chosen `{c.config.name}` on the held-out set "
                f"(ambiguity threshold {c.ambiguity}):\n",
                *sweep(preds["held-out"], c.ambiguity),
                f"\nThe same pipeline with the NLU data grown by {GROWTH:.0%} (noisy copies of "
                f"real examples): cold `rasa train` {grown.wall_seconds:.0f} s wall, "
                f"{grown.cpu_seconds:.0f} s CPU (load {grown.load_at_start:.1f} at start).",
            ]
        print("\n".join([*summary, *chosen, "", *details]), flush=True)
    (ROOT / "results" / "nlu_compare.md").write_text("\n".join([*summary, *chosen, "", *details]) + "\n")
    if writes_doc:
        write_doc([*summary, *chosen])
    print(f"wrote {ROOT / 'results' / 'nlu_compare.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
