"""What the tracker store writes instead of personal data, and how it reads it back.

Two treatments, chosen by what the product needs back later:

- **Identity slot values** (last name, ZIP, VIN) are **encrypted** (Fernet,
  key derived from ASSISTANT_SECRET_KEY): a form collects them over several
  turns, so the next turn must read them back; they are cleared after each
  check. Without the key they are unreadable; a value whose key is gone (a
  rotated secret) reads back as empty and the form asks again.
- **Everything the customer typed** (the text of user events, the NLU's copy
  of it and its entities) is **masked**: nothing reads it back. The identity
  values of the turn (entities, slot values) are replaced wherever they occur,
  and anything shaped like a VIN, ZIP, phone number or email besides
  (bot/ops/privacy.py's patterns). A typed "/payload" other than a bare intent
  name (a button's) is not kept at all: it is structured data, not language.

What stays readable: intents, the bot's own texts (which show a VIN's last
six characters at most), masked summaries, signed proofs (a contract number).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bot.domain.identity import IDENTITY_SLOTS
from bot.domain.keys import fernet_key
from bot.domain.payloads import PAYLOAD_PREFIX
from bot.ops.privacy import mask

ENCRYPTED_PREFIX = "fernet:"
MIN_MASKED_VALUE_CHARS = 2  # a one-letter "value" would mask every such letter
TYPED_PAYLOAD = "[typed payload]"


def _identity_values(events: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each identity value the events carry (as typed), with its placeholder."""
    found: dict[str, str] = {}
    for event in events:
        if event.get("event") == "slot" and event.get("name") in IDENTITY_SLOTS:
            if isinstance(event.get("value"), str):
                found[event["value"]] = f"[{event['name']}]"
        elif event.get("event") == "user":
            text = event.get("text") or ""
            for entity in (event.get("parse_data") or {}).get("entities") or []:
                if entity.get("entity") not in IDENTITY_SLOTS:
                    continue
                placeholder = f"[{entity['entity']}]"
                if isinstance(entity.get("value"), str):
                    found[entity["value"]] = placeholder
                start, end = entity.get("start"), entity.get("end")
                if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                    found[text[start:end]] = placeholder
    return {value: p for value, p in found.items() if len(value.strip()) >= MIN_MASKED_VALUE_CHARS}


def _masker(values: dict[str, str]) -> re.Pattern[str] | None:
    if not values:
        return None
    alternatives = sorted(values, key=len, reverse=True)  # longest first: "Smith-Jones" before "Smith"
    return re.compile("|".join(re.escape(v) for v in alternatives), re.IGNORECASE)


def _mask_text(
    text: Any, values: dict[str, str], pattern: re.Pattern[str] | None, intents: frozenset[str]
) -> Any:
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    if stripped.startswith(PAYLOAD_PREFIX) and stripped[len(PAYLOAD_PREFIX) :] not in intents:
        return TYPED_PAYLOAD
    if pattern is not None:
        lowered = {v.casefold(): p for v, p in values.items()}
        text = pattern.sub(lambda m: lowered.get(m.group(0).casefold(), "[identity]"), text)
    return mask(text)


def _masked_user_event(
    event: dict[str, Any], values: dict[str, str], intents: frozenset[str]
) -> dict[str, Any]:
    """A copy with what the customer typed masked; intents, entity names and ids stay as they are."""
    pattern = _masker(values)
    masked = copy.deepcopy(event)
    masked["text"] = _mask_text(masked.get("text"), values, pattern, intents)
    parse_data = masked.get("parse_data")
    if isinstance(parse_data, dict):
        parse_data["text"] = _mask_text(parse_data.get("text"), values, pattern, intents)
        for entity in parse_data.get("entities") or []:
            if isinstance(entity, dict):
                entity["value"] = _mask_text(entity.get("value"), values, pattern, intents)
    return masked


class TrackerPrivacy:
    def __init__(self, secret: str, intents: Iterable[str] = ()) -> None:
        """``intents``: the domain's, whose bare "/intent" payloads (the buttons') are kept."""
        self.fernet = Fernet(fernet_key(secret))
        self.intents = frozenset(intents)

    def protect(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Storable copies of one save's new events (``Event.as_dict()``)."""
        values = _identity_values(events)
        stored = []
        for event in events:
            kind = event.get("event")
            if kind == "slot" and event.get("name") in IDENTITY_SLOTS and isinstance(event.get("value"), str):
                token = self.fernet.encrypt(event["value"].encode("utf-8")).decode("ascii")
                event = {**event, "value": ENCRYPTED_PREFIX + token}
            elif kind == "user":
                event = _masked_user_event(event, values, self.intents)
            stored.append(event)
        return stored

    def reveal(self, event: dict[str, Any]) -> dict[str, Any]:
        """A stored event as Rasa needs it: identity slot values decrypted (unreadable: None)."""
        value = event.get("value")
        if event.get("event") != "slot" or not (
            isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)
        ):
            return event
        try:
            plain: str | None = self.fernet.decrypt(value[len(ENCRYPTED_PREFIX) :].encode("ascii")).decode(
                "utf-8"
            )
        except (InvalidToken, ValueError):
            plain = None
        return {**event, "value": plain}
