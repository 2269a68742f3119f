"""Bounding the replayed history changes nothing the customer sees.

The tracker store starts a fresh session carrying the slots over whenever
the current one grows past TRACKER_COMPACT_EVENTS events and the bot is at
rest (bot/rasa_server/tracker_store.py). A second product here compacts at every
chance it gets (TRACKER_COMPACT_EVENTS=1). The same conversations, sent to it
and to the default `stack`, must take the same actions, with the context
(an offer made, a verified identity, a sale date) surviving every compaction.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

from bot.ops.model import current_model
from bot.ops.supervisor import Supervisor
from bot.rasa_server.senders import conversation_id
from tests.support.launch import launcher
from tests.support.ports import ports

PORTS = ports(RASA_PORT=18105, ACTION_PORT=18155, WEB_PORT=18180)
SMITH_JONES = ("Smith-Jones", "98101", "5YJ3E1EAXPF402917")  # demo contract with GAP
CONVERSATIONS = {
    "offer, look-up and personal answers": [
        "is my rental covered?",
        "yes",
        *SMITH_JONES,
        "what plan do I have",
        "is my rental covered?",
        "I sold my car",
        "it was sold on November 10",
        "how do I cancel",
        "thanks",
    ],
    "form stopped, offer declined, GAP claim": [
        "when does my contract end",
        "Sampleton",
        "stop",
        "is there a deductible",
        "no thanks",
        "start a GAP claim",
        *SMITH_JONES,
        "yes",
        "thank you",
    ],
}
SKIPPED_ACTIONS = {"action_listen", "action_session_start"}


def say(rasa_url: str, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read())


def dialogue(tracker_db: str, sender: str) -> tuple[list[str], int]:
    """The conversation's intents and actions, in order, and its number of sessions."""
    with closing(sqlite3.connect(tracker_db)) as conn:
        rows = conn.execute(
            "SELECT type_name, intent_name, action_name FROM events WHERE sender_id = ? ORDER BY id",
            (conversation_id("rest", sender),),
        ).fetchall()
    steps = [
        f"{kind}:{intent or action}"
        for kind, intent, action in rows
        if kind == "user" or (kind == "action" and action not in SKIPPED_ACTIONS)
    ]
    return steps, sum(1 for kind, _, _ in rows if kind == "session_started")


@pytest.fixture(scope="module")
def compacting(tmp_path_factory: pytest.TempPathFactory, stack: Any) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("compaction")
    env = dict(stack.env)
    env.update(PORTS)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'contracts.db'}",
        TRACKER_DB=str(tmp / "trackers.db"),
        ACTION_SERVER_URL=f"http://127.0.0.1:{PORTS['ACTION_PORT']}/webhook",
        TRACKER_COMPACT_EVENTS="1",
    )
    rasa_url = f"http://127.0.0.1:{PORTS['RASA_PORT']}"
    supervisor = Supervisor(
        [launcher("compacting launcher", str(current_model()), env, tmp / "launcher.log", f"{rasa_url}/")],
        stop_grace_seconds=30,
    )
    try:
        supervisor.start_all(timeout=300)
        yield {"rasa_url": rasa_url, "tracker_db": env["TRACKER_DB"]}
    finally:
        supervisor.stop()


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_compacted_conversation_takes_the_same_actions(
    stack: Any, compacting: dict[str, str], name: str
) -> None:
    sender = f"compaction-{uuid.uuid4().hex}"
    for text in CONVERSATIONS[name]:
        for rasa_url in (stack.rasa_url, compacting["rasa_url"]):
            replies = say(rasa_url, sender, text)
            assert replies and all(r.get("text") for r in replies), (rasa_url, text, replies)

    expected, sessions = dialogue(stack.env["TRACKER_DB"], sender)
    compacted, compacted_sessions = dialogue(compacting["tracker_db"], sender)
    # The default stack compacts after 40 events; this one after every turn
    # that leaves no form open.
    assert compacted_sessions >= sessions + 3, "the history was not compacted"
    assert compacted == expected
