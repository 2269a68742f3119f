"""Test ports, shifted by ``TEST_PORT_OFFSET`` so two checkouts can run their suites side by side.

scripts/services.sh takes ``PG_PORT`` and ``REDIS_PORT`` for the same reason.
"""

from __future__ import annotations

import os


def port(base: int) -> int:
    """``base`` plus ``$TEST_PORT_OFFSET`` (0 when unset)."""
    return base + int(os.environ.get("TEST_PORT_OFFSET", "0") or 0)


def ports(**bases: int) -> dict[str, str]:
    """Environment-ready ports: ``ports(RASA_PORT=15005)`` -> ``{"RASA_PORT": "15005"}`` (offset)."""
    return {name: str(port(base)) for name, base in bases.items()}
