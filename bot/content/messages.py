"""The message catalogues: texts said by custom actions (messages.yml) and the
SMS channel's own texts (sms_messages.yml), one loader for both.

Rendered with the caller's variables and the contact numbers, so a phone number
is still written only in bot/content/contacts.yml.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.content.contacts import contacts

CATALOGUE_FILES = {
    "actions": Path(__file__).with_name("messages.yml"),
    "sms": Path(__file__).with_name("sms_messages.yml"),
}


@cache
def catalogue(name: str = "actions") -> dict[str, dict[str, Any]]:
    with CATALOGUE_FILES[name].open(encoding="utf-8") as fh:
        loaded: dict[str, dict[str, Any]] = yaml.safe_load(fh)
    return loaded


def _fill(template: str, variables: dict[str, str]) -> str:
    """A missing variable raises KeyError: a message must never show "{plan}"."""
    return template.format_map({**contacts(), **variables})


def render(key: str, **variables: str) -> dict[str, Any]:
    """``{"text": ..., "buttons": [...]}`` for action message ``key``."""
    entry = catalogue("actions")[key]
    buttons: list[dict[str, str]] = [dict(b) for b in entry.get("buttons", [])]
    return {"text": _fill(entry["text"], variables), "buttons": buttons}


def sms_text(key: str, **variables: str) -> str:
    """The SMS channel's text ``key`` filled in."""
    return _fill(catalogue("sms")[key]["text"], variables)


def options_text(titles: Sequence[str]) -> str:
    """'Reply 1 for "A", 2 for "B".' for buttons titled A and B."""
    entry = catalogue("sms")["options"]
    choices = ", ".join(entry["choice"].format(number=n, title=title) for n, title in enumerate(titles, 1))
    return str(entry["text"]).format(choices=choices)
