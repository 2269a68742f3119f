"""Today's date for business rules; ASSISTANT_TODAY (YYYY-MM-DD) pins it for demos and tests."""

from __future__ import annotations

from datetime import date

from bot.settings import settings


def today() -> date:
    return settings().assistant_today or date.today()
