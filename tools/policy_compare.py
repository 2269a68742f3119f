"""Compare dialogue-policy configurations: behaviour first, then cost.

    make policy-compare     # writes results/policy_compare.md (docs/policies.md has the decision)

Each file in docs/policy_configs/ holds a `policies:` section; it is trained
with config.yml's NLU pipeline (Rasa's training cache reuses the NLU
components) and measured on
- the conversation tests (`rasa test core --stories tests/test_stories.yml`);
- every user message of those tests plus off-script conversations
  (DIGRESSIONS), replayed against the full model: which policy decided each
  action, and whether the actions differ from the first configuration's;
- the Rasa process's CPU per FAQ turn (bench/turncost.py).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bench.turncost import faq_turn_costs, load_agent, product_environment
from bot.ops.stack import RASA_COMMAND
from bot.settings import ROOT
from tools.rasa_train import train

CONFIGS = sorted((ROOT / "docs" / "policy_configs").glob("*.yml"))
OUT = ROOT / "results" / "policy_compare"
ACTION_PORT = 37255
SMITH_JONES = ["Smith-Jones", "98101", "5YJ3E1EAXPF402917"]
# Conversations that leave the scripted paths: answers with no question
# pending, topic changes inside forms, repeated questions.
DIGRESSIONS = [
    ["yes", "no"],
    ["is my rental covered?", "actually what about towing?", "yes"],
    ["is my rental covered?", "no thanks", "how do I cancel", "yes", *SMITH_JONES, "what plan do I have"],
    ["start a gap claim", "what is gap?", "Smith-Jones", "stop", "yes"],
    ["I sold my car", "it was sold on November 10", "thanks", "what about a refund"],
    ["what plan do I have", "why do you need that", "Smith-Jones", "I'm stuck on the highway"],
    ["hi", "asdfgh qwerty", "asdfgh qwerty", "ok"],
    [
        "is my rental covered?",
        "is my rental covered?",
        "yes",
        "Sampleton",
        "30303",
        "3VWC57BU5MM011549",
        "start a gap claim",
    ],
    ["when does my contract end", "nope", "goodbye"],
]


def full_config(policies: Path, target: Path) -> Path:
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    config["policies"] = yaml.safe_load(policies.read_text())["policies"]
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def conversation_tests(model: Path, name: str) -> str:
    out = OUT / f"{name}-test"
    result = subprocess.run(
        [
            *RASA_COMMAND,
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            "tests/test_stories.yml",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    correct = [line.split("Correct:")[1].strip() for line in result.stderr.splitlines() if "Correct:" in line]
    return f"stories {correct[0]}, actions {correct[1]}" if len(correct) >= 2 else "failed to run"


def test_story_messages() -> list[list[str]]:
    stories = yaml.safe_load((ROOT / "tests" / "test_stories.yml").read_text())["stories"]
    return [[step["user"] for step in story["steps"] if "user" in step] for story in stories]


async def decisions(agent: Any, conversations: list[list[str]], prefix: str) -> list[list[tuple[str, str]]]:
    from rasa.shared.core.events import ActionExecuted

    out = []
    for i, messages in enumerate(conversations):
        sender = f"{prefix}-{i:04d}"
        for text in messages:
            await agent.handle_text(text, sender_id=sender)
        tracker = await agent.tracker_store.retrieve_full_tracker(sender)
        out.append(
            [
                (e.action_name, (e.policy or "").replace("policy_", "").split("_")[-1])
                for e in tracker.events
                if isinstance(e, ActionExecuted)
                and e.action_name not in ("action_listen", "action_session_start")
            ]
        )
    return out


async def evaluate(model: Path, name: str) -> dict[str, Any]:
    agent = await load_agent(str(model))
    conversations = test_story_messages() + DIGRESSIONS
    decided = await decisions(agent, conversations, f"compare-{name}")
    costs = await faq_turn_costs(agent, 20, f"compare-cost-{name}")
    return {"decided": decided, "cpu_ms": statistics.median(costs)}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    rows, baseline = [], None
    with product_environment(ACTION_PORT), tempfile.TemporaryDirectory() as tmp:
        for policies in CONFIGS:
            model = OUT / f"{policies.stem}.tar.gz"
            seconds = train(full_config(policies, Path(tmp) / policies.name), model).wall_seconds
            tests = conversation_tests(model, policies.stem)
            result = asyncio.run(evaluate(model, policies.stem))
            actions = [a for conversation in result["decided"] for a, _ in conversation]
            by_policy = Counter(p for conversation in result["decided"] for _, p in conversation)
            if baseline is None:
                baseline = result["decided"]
            changed = sum(
                1
                for mine, theirs in zip(result["decided"], baseline)
                if [a for a, _ in mine] != [a for a, _ in theirs]
            )
            rows.append(
                f"| `{policies.name}` | {seconds:.0f} s | {tests} | {len(actions)} actions: "
                + ", ".join(f"{p} {n}" for p, n in by_policy.most_common())
                + f" | {changed} of {len(baseline)} | {result['cpu_ms']:.1f} ms |"
            )
            print(rows[-1], flush=True)
    table = [
        "| policies | training | conversation tests | who decided (test-story messages + digressions) "
        "| conversations acting differently from the first row | Rasa CPU per FAQ turn (median) |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    (ROOT / "results" / "policy_compare.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
