"""The FAQ topics, as a view of bot/content/intents.py (kept for existing importers).

Nothing is declared here: ``TOPICS`` and ``BY_INTENT`` are the intents that
have a customer question, in FAQ order; each has ``.name``, ``.response``,
``.question`` and ``.category``.
"""

from __future__ import annotations

from bot.content.intents import TOPICS, Intent

Topic = Intent
BY_INTENT: dict[str, Intent] = {t.name: t for t in TOPICS}

__all__ = ["BY_INTENT", "TOPICS", "Topic"]
