"""Compare NLU pipelines on the held-out set and sweep the fallback threshold.

    make nlu-compare        # trains each config in docs/nlu_configs/, writes docs/nlu.md

Each configuration is trained on data/nlu only and scored on the held-out
tests/test_nlu.yml (never trained on, never used to edit the training data)
and on tests/nlu_dev.yml (the earlier set whose errors guided data work, so
its score is optimistic).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bot.settings import ROOT
from tools.nlu_evaluate import load_examples, predict, score

CONFIGS = sorted((ROOT / "docs" / "nlu_configs").glob("*.yml"))
THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
AMBIGUITY = 0.05


def train(config: Path, out: Path) -> float:
    start = time.monotonic()
    subprocess.run(
        [
            str(ROOT / ".venv/bin/rasa"),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            "data/nlu",
            "--out",
            str(out),
            "--fixed-model-name",
            config.stem,
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - start


SETS = {"held-out": "test_nlu.yml", "dev": "nlu_dev.yml"}


def table(preds: list) -> list:
    lines = [
        "| fallback threshold | intent accuracy | top-1 (no fallback) | off-topic caught | in-scope sent to fallback |",
        "|---|---|---|---|---|",
    ]
    for t in THRESHOLDS:
        s = score(preds, t, AMBIGUITY)
        lines.append(
            f"| {t:.1f} | {s.intent_accuracy:.1%} | {s.raw_accuracy:.1%} | "
            f"{s.off_topic_caught:.1%} | {s.in_scope_fallback:.1%} |"
        )
    return lines


def main() -> None:
    sets = {name: load_examples(ROOT / "tests" / file) for name, file in SETS.items()}
    lines = []
    for config in CONFIGS:
        out = ROOT / "results" / "nlu_compare"
        model = out / f"{config.stem}.tar.gz"
        seconds = train(config, out)
        lines.append(f"### `{config.name}` (training {seconds:.0f} s)\n")
        for name, examples in sets.items():
            started = time.monotonic()
            preds = predict(str(model), examples)
            per_message_ms = 1000 * (time.monotonic() - started) / len(examples)
            lines.append(f"{name} set ({len(examples)} messages, {per_message_ms:.1f} ms per parse):\n")
            lines += table(preds) + [""]
        print("\n".join(lines), flush=True)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "nlu_compare.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
