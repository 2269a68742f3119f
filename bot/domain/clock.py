"""Today's date for business rules; ASSISTANT_TODAY (YYYY-MM-DD) pins it for demos and tests."""

from __future__ import annotations

import os
from datetime import date


def today() -> date:
    pinned = os.environ.get("ASSISTANT_TODAY", "").strip()
    return date.fromisoformat(pinned) if pinned else date.today()
