"""The product started as `make run` starts it (bot.ops.launcher), on test ports, for attack tests.

``running_stack`` gives each caller its own databases in a temp folder and
whatever extra settings it passes, and stops every process on the way out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.ops.health import responds
from bot.ops.model import current_model

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class RunningStack:
    rasa_url: str
    action_url: str
    web_url: str
    env: dict[str, str]
    folder: Path

    @property
    def rest_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def log_file(self) -> Path:
        return self.folder / "stack.log"

    def tracker_files(self) -> list[Path]:
        """The tracker store's SQLite file and its WAL, as they are on disk."""
        return sorted(self.folder.glob("trackers.db*"))


@contextmanager
def running_stack(folder: Path, ports: dict[str, str], settings: dict[str, str]) -> Iterator[RunningStack]:
    model = current_model()
    if not model.exists():
        raise RuntimeError(f"no trained model at {model}: run `make train` (make test does)")
    env = {
        **os.environ,
        **ports,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{folder / 'contracts.db'}",
        "TRACKER_DB": str(folder / "trackers.db"),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{ports['ACTION_PORT']}/webhook",
        **settings,
    }
    urls = {name: f"http://127.0.0.1:{ports[f'{name.upper()}_PORT']}" for name in ("rasa", "action", "web")}
    with open(folder / "stack.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.ops.launcher", "--model", str(model)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not all(responds(url + path) for url, path in _health_checks(urls)):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("stack did not start:\n" + (folder / "stack.log").read_text()[-4000:])
                time.sleep(1)
            yield RunningStack(urls["rasa"], urls["action"], urls["web"], env, folder)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _health_checks(urls: dict[str, str]) -> list[tuple[str, str]]:
    return [(urls["rasa"], "/"), (urls["action"], "/health"), (urls["web"], "/health")]
