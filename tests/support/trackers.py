"""Reading a running stack's tracker store the way an attacker with the file would."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def user_events(tracker_db: Path, conversation_id: str) -> list[dict[str, Any]]:
    with sqlite3.connect(tracker_db) as conn:
        rows = conn.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id",
            (conversation_id,),
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


def read_as_payload(event: dict[str, Any]) -> bool:
    """True when Rasa read the message as a "/intent{...}" payload, not through the NLU.

    Its RegexMessageHandler ranks exactly one intent; the NLU ranks them all.
    """
    return len(event["parse_data"].get("intent_ranking") or []) == 1
