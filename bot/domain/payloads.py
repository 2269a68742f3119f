"""When a customer's message may act as a button payload ("/intent{...}").

Rasa reads any message starting with "/" as an intent with entities, bypassing
the NLU: typed by a customer, it could fill a whole identity form in one
message or restart a conversation. A "/" message is a payload only when it is
exactly the payload of a button the bot offered in its last turn; anything
else is plain text for the NLU.
"""

from __future__ import annotations

import re
from collections.abc import Collection

PAYLOAD_PREFIX = "/"
# Rasa's built-in intents that act on the conversation itself: never from a customer.
NEVER_FROM_CUSTOMERS = frozenset({"restart", "back", "session_start"})
_INTENT_END = re.compile(r"[{@]")


def payload_intent(payload: str) -> str:
    """The intent name of "/intent{...}" or "/intent@0.9"."""
    return _INTENT_END.split(payload.strip()[len(PAYLOAD_PREFIX) :], maxsplit=1)[0].strip()


def is_offered_payload(text: str, offered: Collection[str]) -> bool:
    """True when ``text`` is exactly one of the ``offered`` button payloads (and a safe one)."""
    text = text.strip()
    return (
        text.startswith(PAYLOAD_PREFIX)
        and text in offered
        and payload_intent(text) not in NEVER_FROM_CUSTOMERS
    )


def is_typed_payload(text: str, offered: Collection[str]) -> bool:
    """True when ``text`` looks like a payload but must be read as plain text."""
    return text.strip().startswith(PAYLOAD_PREFIX) and not is_offered_payload(text, offered)
