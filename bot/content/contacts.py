"""Phone numbers and links, loaded once from contacts.yml with env overrides.

Responses reference them as template variables (``{gap_phone}``), filled in by
``bot.content.nlg.ContactsNLG`` on the Rasa server and by the FAQ/SMS renderers, so a
number is written exactly once in the repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

CONTACTS_FILE = Path(__file__).with_name("contacts.yml")


@lru_cache(maxsize=1)
def _entries() -> dict[str, dict]:
    with CONTACTS_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def contacts(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return every contact value by name, applying environment overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for name, entry in _entries().items():
        override = env.get(entry["env"], "").strip() if "env" in entry else ""
        values[name] = override or str(entry["value"])
    return values


def configurable() -> dict[str, str]:
    """Map each configurable contact to its environment variable (for docs/tests)."""
    return {name: e["env"] for name, e in _entries().items() if "env" in e}
