"""`make run`'s launcher as a supervised child of the test process.

The supervisor (bot/ops/supervisor.py) gives it its own process group and
PR_SET_PDEATHSIG, so a test run that dies takes the stack with it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.ops.supervisor import Child
from bot.settings import ROOT


def launcher(name: str, model: str, env: dict[str, str], log_file: Path, health_url: str) -> Child:
    """The launcher as a child that is never restarted (a crash fails the test)."""
    return Child(
        name,
        [sys.executable, "-m", "bot.ops.launcher", "--model", model],
        health_url,
        cwd=ROOT,
        env=env,
        log_file=log_file,
        restart=False,
    )
