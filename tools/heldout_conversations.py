"""Score the running assistant on the held-out conversation set (tests/conversations_heldout/).

    .venv/bin/python -m tools.heldout_conversations --rasa-url http://127.0.0.1:5005 [--show-passes]

Each single turn opens a fresh conversation; each multi-turn conversation
runs in one. A turn passes when the bot's combined reply text satisfies every
``expect`` requirement (one alternative each, case-insensitive substring),
contains no ``forbid`` string, and, with ``no_form``, does not ask for an
identity value. The set was written from the product page alone, before any
tuning (its README); it is judged on the reply's facts, never on intent labels.
The assistant must run with ASSISTANT_TODAY=2026-12-02, the date the set assumes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.settings import ROOT

HELDOUT_DIR = ROOT / "tests" / "conversations_heldout"
HELDOUT_TODAY = "2026-12-02"
# A reply asks for an identity value when one of its questions names one and
# asks for it ("what's your last name?"); an offer ("Want me to check your
# contract? I'll need your last name…") does not.
_SENTENCE = re.compile(r"[^.!?]*\?")
_IDENTITY = re.compile(r"last name|surname|zip|postal|\bvin\b", re.I)
_ASKING = re.compile(r"\bwhat(?:'s| is)\b|\bcould you\b|\bcan you\b|\bplease\b|\bsend\b|\btype\b", re.I)

Send = Callable[[str, str], str]


def asks_for_identity(reply: str) -> bool:
    return any(_IDENTITY.search(q) and _ASKING.search(q) for q in _SENTENCE.findall(reply))


@dataclass
class TurnResult:
    case: str
    turn: int
    user: str
    reply: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def judge(spec: dict[str, Any], reply: str) -> list[str]:
    """What is wrong with ``reply`` for this turn's expectations (empty: it passes)."""
    text = reply.lower()
    problems = []
    for alternatives in spec.get("expect") or []:
        if not any(str(a).lower() in text for a in alternatives):
            problems.append(f"missing one of {alternatives[:6]}{'…' if len(alternatives) > 6 else ''}")
    problems += [f"forbidden {f!r}" for f in spec.get("forbid") or [] if str(f).lower() in text]
    if spec.get("no_form") and asks_for_identity(reply):
        problems.append("asked for identity")
    return problems


def rest_sender(rasa_url: str, timeout: float = 60.0) -> Send:
    url = rasa_url.rstrip("/") + "/webhooks/rest/webhook"

    def send(sender: str, text: str) -> str:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return " ".join(m.get("text", "") for m in json.loads(resp.read()))

    return send


def load(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((HELDOUT_DIR / name).read_text(encoding="utf-8"))
    return data["cases" if name.startswith("single") else "conversations"]


def _sender(case: str) -> str:
    return f"heldout-{case}-{uuid.uuid4().hex[:12]}"


def run_single_turns(send: Send, cases: Sequence[dict[str, Any]]) -> list[TurnResult]:
    out = []
    for case in cases:
        reply = send(_sender(case["id"]), case["text"])
        out.append(TurnResult(case["id"], 1, case["text"], reply, judge(case, reply)))
    return out


def run_conversations(send: Send, conversations: Sequence[dict[str, Any]]) -> dict[str, list[TurnResult]]:
    out: dict[str, list[TurnResult]] = {}
    for conversation in conversations:
        sender = _sender(conversation["id"])
        results = []
        for n, turn in enumerate(conversation["turns"], 1):
            reply = send(sender, turn["user"])
            results.append(TurnResult(conversation["id"], n, turn["user"], reply, judge(turn, reply)))
        out[conversation["id"]] = results
    return out


def report(singles: list[TurnResult], conversations: dict[str, list[TurnResult]], show_passes: bool) -> str:
    lines = []
    for r in singles:
        if show_passes or not r.passed:
            lines.append(f"{r.case} {'PASS' if r.passed else 'FAIL'} {r.user!r}\n  -> {r.reply[:400]!r}")
            lines += [f"     {p}" for p in r.problems]
    for cid, turns in conversations.items():
        ok = all(t.passed for t in turns)
        if show_passes or not ok:
            lines.append(f"{cid} {'PASS' if ok else 'FAIL'}")
            for t in turns:
                lines.append(f"  {t.turn}. {t.user!r}\n     -> {t.reply[:400]!r}")
                lines += [f"        {p}" for p in t.problems]
    passed_singles = sum(r.passed for r in singles)
    passed_conversations = sum(all(t.passed for t in turns) for turns in conversations.values())
    lines.append(
        f"single turns: {passed_singles}/{len(singles)} ({passed_singles / max(1, len(singles)):.1%}); "
        f"conversations: {passed_conversations}/{len(conversations)}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.heldout_conversations", description=__doc__)
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--show-passes", action="store_true")
    parser.add_argument("--only", nargs="*", help="case or conversation ids")
    args = parser.parse_args(argv)
    send = rest_sender(args.rasa_url)
    singles = [c for c in load("single_turns.yml") if not args.only or c["id"] in args.only]
    conversations = [c for c in load("conversations.yml") if not args.only or c["id"] in args.only]
    single_results = run_single_turns(send, singles)
    conversation_results = run_conversations(send, conversations)
    print(report(single_results, conversation_results, args.show_passes))
    ok = all(r.passed for r in single_results) and all(
        all(t.passed for t in turns) for turns in conversation_results.values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
