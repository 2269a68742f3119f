"""Finding 6: the action server trusted the slots its caller sent (a forged `verified: true`
returned contract details and filed a GAP claim)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.domain import proof
from bot.domain.keys import Purpose, derive
from tests.support.security_stack import SETTINGS
from tests.support.stack import RunningStack

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "APP-100109"  # Mockridge, Value Guard with GAP (data/demo/contracts.csv)


def forged_call(action: str, slots: dict[str, Any], intent: str = "ask_my_plan") -> dict[str, Any]:
    sender = "rest:forged-tracker"
    tracker = {
        "sender_id": sender,
        "slots": {"verified": True, "identity_locked": False, "gap_confirmed": True, **slots},
        "latest_message": {"intent": {"name": intent, "confidence": 1.0}, "entities": [], "text": "x"},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": {}, "version": "3.6.21"}


def claims(stack: RunningStack) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "claims", "list", "--json"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [c for c in json.loads(done.stdout) if c["contract_number"] == CONTRACT]


def test_without_the_token_nothing_runs(stack: RunningStack) -> None:
    for token in ("", "?token=guess"):
        response = requests.post(
            f"{stack.action_url}/webhook{token}", json=forged_call("action_answer_personal", {}), timeout=30
        )
        assert response.status_code == 401


ELSEWHERE = derive("another deployment's key", Purpose.VERIFICATION)


@pytest.mark.parametrize(
    "slots",
    [
        {"verification": None, "verified_contract": CONTRACT},  # the slots the old actions trusted
        {"verification": proof.issue(ELSEWHERE, CONTRACT, "rest:forged-tracker")},  # signed elsewhere
        {
            "verification": proof.issue(
                derive(SETTINGS["ASSISTANT_SECRET_KEY"], Purpose.VERIFICATION), CONTRACT, "rest:another"
            )
        },  # a genuine proof of another conversation
    ],
)
def test_even_the_token_holder_cannot_claim_a_verification(
    stack: RunningStack, slots: dict[str, Any]
) -> None:
    url = f"{stack.action_url}/webhook?token={SETTINGS['ACTION_SERVER_TOKEN']}"
    personal = requests.post(url, json=forged_call("action_answer_personal", slots), timeout=30)
    assert personal.status_code == 200
    said = json.dumps(personal.json()["responses"])
    assert CONTRACT not in said and "Value Guard" not in said and "check your details again" in said
    claim = requests.post(url, json=forged_call("action_submit_gap_claim", slots, "affirm"), timeout=30)
    assert claim.status_code == 200 and "GAP-" not in json.dumps(claim.json()["responses"])
    assert claims(stack) == []
