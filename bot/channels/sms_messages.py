"""The SMS channel's own texts (sms_messages.yml), contact numbers filled in."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Sequence

import yaml

from bot.contacts import contacts

MESSAGES_FILE = Path(__file__).with_name("sms_messages.yml")


@lru_cache(maxsize=1)
def catalogue() -> Dict[str, Dict[str, str]]:
    with MESSAGES_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def render(key: str, **variables: str) -> str:
    """Entry ``key`` filled in; a missing variable raises KeyError, never "{x}"."""
    return catalogue()[key]["text"].format_map({**contacts(), **variables})


def options_text(titles: Sequence[str]) -> str:
    """'Reply 1 for "A", 2 for "B".' for buttons titled A and B."""
    entry = catalogue()["options"]
    choices = ", ".join(
        entry["choice"].format(number=n, title=title) for n, title in enumerate(titles, 1)
    )
    return entry["text"].format(choices=choices)
