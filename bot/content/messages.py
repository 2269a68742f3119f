"""The message catalogues: texts said by custom actions (messages.yml), the
SMS channel's own texts (sms_messages.yml) and the claims center's
(claims_messages.yml: document replies, status updates, the upload page), one loader.

Rendered with the caller's variables, the contact numbers and the policy's rule
numbers, so a phone number is still written only in bot/content/contacts.yml and
a deadline only in bot/domain/policy.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.content.contacts import contacts
from bot.domain.policy import FULL_REFUND_WINDOW_DAYS, GAP_REVIEW_BUSINESS_DAYS, TRANSFER_NOTICE_DAYS

# The page's rule numbers, as template variables ({transfer_days} etc.).
POLICY_VARIABLES = {
    "transfer_days": str(TRANSFER_NOTICE_DAYS),
    "refund_days": str(FULL_REFUND_WINDOW_DAYS),
    "gap_review_business_days": str(GAP_REVIEW_BUSINESS_DAYS),
}

CATALOGUE_FILES = {
    "actions": Path(__file__).with_name("messages.yml"),
    "sms": Path(__file__).with_name("sms_messages.yml"),
    "claims": Path(__file__).with_name("claims_messages.yml"),
}


@cache
def catalogue(name: str = "actions") -> dict[str, dict[str, Any]]:
    with CATALOGUE_FILES[name].open(encoding="utf-8") as fh:
        loaded: dict[str, dict[str, Any]] = yaml.safe_load(fh)
    return loaded


def template_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What every text may use besides its own variables: contact numbers and rule numbers."""
    return {**contacts(environ), **POLICY_VARIABLES}


def _fill(template: str, variables: dict[str, str]) -> str:
    """A missing variable raises KeyError: a message must never show "{plan}"."""
    return template.format_map({**template_values(), **variables})


def render(key: str, **variables: str) -> dict[str, Any]:
    """``{"text": ..., "buttons": [...]}`` for action message ``key``."""
    entry = catalogue("actions")[key]
    buttons: list[dict[str, str]] = [dict(b) for b in entry.get("buttons", [])]
    return {"text": _fill(entry["text"], variables), "buttons": buttons}


def sms_text(key: str, **variables: str) -> str:
    """The SMS channel's text ``key`` filled in."""
    return _fill(catalogue("sms")[key]["text"], variables)


def claims_text(key: str, **variables: str) -> str:
    """The claims center's text ``key`` filled in."""
    return _fill(catalogue("claims")[key]["text"], variables)


def options_text(titles: Sequence[str]) -> str:
    """'Reply 1 for "A", 2 for "B".' for buttons titled A and B."""
    entry = catalogue("sms")["options"]
    choices = ", ".join(entry["choice"].format(number=n, title=title) for n, title in enumerate(titles, 1))
    return str(entry["text"]).format(choices=choices)
