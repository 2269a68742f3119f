"""Start the product exactly as `make run` does (bot.ops.launcher), on test ports.

One stack per test session, with its own SQLite database in a temp folder and
a fixed "today" so date-dependent answers are reproducible.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.ops.health import responds
from bot.ops.model import current_model
from tests.support.ports import ports as test_ports

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-24"


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    action_url: str
    web_url: str
    env: dict[str, str]
    log_file: Path

    @property
    def rest_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"


def _model_path() -> str:
    model = current_model()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` (make test does)")
    return str(model)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    ports = test_ports(RASA_PORT=15005, ACTION_PORT=15055, WEB_PORT=18080)
    env = dict(os.environ)
    env.update(ports)
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp / 'e2e.db'}",
        TRACKER_DB=str(tmp / "trackers.db"),
        ASSISTANT_TODAY=TODAY,
        ACTION_SERVER_URL=f"http://127.0.0.1:{ports['ACTION_PORT']}/webhook",
        TWILIO_AUTH_TOKEN=env.get("TWILIO_AUTH_TOKEN", "e2e-test-token"),
        METRICS_TOKEN="e2e-metrics-token",
    )
    log = open(tmp / "stack.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.ops.launcher", "--model", _model_path()],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    urls = {
        "rasa": f"http://127.0.0.1:{ports['RASA_PORT']}",
        "action": f"http://127.0.0.1:{ports['ACTION_PORT']}",
        "web": f"http://127.0.0.1:{ports['WEB_PORT']}",
    }
    deadline = time.monotonic() + 300
    while not (responds(urls["rasa"] + "/") and responds(urls["action"] + "/health")):
        if proc.poll() is not None or time.monotonic() > deadline:
            log.close()
            pytest.fail("stack did not start:\n" + (tmp / "stack.log").read_text()[-4000:])
        time.sleep(1)
    try:
        yield Stack(urls["rasa"], urls["action"], urls["web"], env, tmp / "stack.log")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
