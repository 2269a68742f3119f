"""Start the product exactly as `make run` does (bot.ops.launcher), on test ports.

One stack per test session, with its own SQLite database in a temp folder and
a fixed "today" so date-dependent answers are reproducible.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.ops.health import responds
from bot.ops.model import current_model
from bot.ops.supervisor import LaunchFailed, Supervisor
from tests.support import twilio_standin
from tests.support.launch import launcher
from tests.support.ports import port
from tests.support.ports import ports as test_ports
from tools.heldout_conversations import HELDOUT_TODAY

ROOT = Path(__file__).resolve().parents[2]
TODAY = HELDOUT_TODAY  # the date the held-out conversation set assumes
TWILIO_FROM = "+12025550100"


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
        # The claims worker texts through the local Twilio stand-in (tests/e2e/test_claims.py),
        # at any hour of the day the suite runs.
        TWILIO_ACCOUNT_SID=twilio_standin.ACCOUNT_SID,
        TWILIO_FROM_NUMBER=TWILIO_FROM,
        TWILIO_API_URL=f"http://127.0.0.1:{port(18090)}",
        CONTACT_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        CLAIMS_STORAGE_DIR=str(tmp / "claims"),
        CLAIMS_WORKER_POLL_SECONDS="0.5",
        CLAIMS_UPLOAD_SECRET="e2e-upload-secret",
        SMS_QUIET_HOURS="off",
        METRICS_TOKEN="e2e-metrics-token",
    )
    urls = {
        "rasa": f"http://127.0.0.1:{ports['RASA_PORT']}",
        "action": f"http://127.0.0.1:{ports['ACTION_PORT']}",
        "web": f"http://127.0.0.1:{ports['WEB_PORT']}",
    }
    log_file = tmp / "stack.log"
    supervisor = Supervisor(
        [launcher("stack", _model_path(), env, log_file, urls["rasa"] + "/")], stop_grace_seconds=30
    )
    try:
        try:
            supervisor.start_all(timeout=300)
        except LaunchFailed as problem:
            pytest.fail(f"stack did not start: {problem}")
        assert responds(urls["action"] + "/health"), log_file.read_text()[-4000:]
        yield Stack(urls["rasa"], urls["action"], urls["web"], env, log_file)
    finally:
        supervisor.stop()


@pytest.fixture
def twilio(stack: Stack) -> Iterator[twilio_standin.TwilioStandIn]:
    """The local stand-in for Twilio's API the stack's TWILIO_API_URL names (texts out, MMS media in)."""
    with twilio_standin.TwilioStandIn(port=port(18090), auth_token=stack.env["TWILIO_AUTH_TOKEN"]) as standin:
        yield standin


def bot_cli(stack: Stack, *args: str) -> str:
    """`python -m bot ARGS` on the stack's database and settings; its output (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
