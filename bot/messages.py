"""The catalogue of texts said by custom actions (bot/messages.yml).

Rendered with the action's variables and the contact numbers, so a phone number
is still written only in bot/contacts.yml.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot.contacts import contacts

MESSAGES_FILE = Path(__file__).with_name("messages.yml")


@lru_cache(maxsize=1)
def catalogue() -> Dict[str, Dict[str, Any]]:
    with MESSAGES_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def render(key: str, **variables: str) -> Dict[str, Any]:
    """Return ``{"text": ..., "buttons": [...]}`` for catalogue entry ``key``.

    A missing variable raises KeyError: a message must never show "{plan}".
    """
    entry = catalogue()[key]
    values = {**contacts(), **variables}
    buttons: List[Dict[str, str]] = [dict(b) for b in entry.get("buttons", [])]
    return {"text": entry["text"].format_map(values), "buttons": buttons}
