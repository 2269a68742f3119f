"""The project's PostgreSQL and Redis for tests and tools (scripts/services.sh; idempotent)."""

from __future__ import annotations

import subprocess

from bot.ops.topology import read_services
from bot.settings import ROOT


def start_services() -> dict[str, str]:
    """Start PostgreSQL and Redis when they are not running (installing them if needed); their settings."""
    subprocess.run([str(ROOT / "scripts" / "services.sh"), "start"], cwd=ROOT, check=True)
    return read_services()
