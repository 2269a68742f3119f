"""A timed `rasa train` of a whole model (NLU + core), as scripts/train.sh runs it."""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.ops.stack import RASA_COMMAND
from bot.settings import ROOT


@dataclass(frozen=True)
class Training:
    wall_seconds: float
    cpu_seconds: float
    load_at_start: float  # 1-minute load average: the cores may be shared


def train(config: Path, model: Path, data: Path = ROOT / "data", cold: bool = False) -> Training:
    """Train `model` (a .tar.gz path); `cold` gives it an empty Rasa cache of its own,
    so nothing is reused from earlier trainings."""
    with tempfile.TemporaryDirectory(prefix="rasa-cache-") as empty_cache:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
        if cold:
            env["RASA_CACHE_DIRECTORY"] = empty_cache
        load = os.getloadavg()[0]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run(
            [
                *RASA_COMMAND,
                "train",
                "--config",
                str(config),
                "--domain",
                str(ROOT / "domain.yml"),
                "--data",
                str(data),
                "--out",
                str(model.parent),
                "--fixed-model-name",
                model.name.removesuffix(".tar.gz"),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.monotonic() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return Training(wall, cpu, load)
