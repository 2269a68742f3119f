"""Graceful failure against a real Rasa server: the action server down, slow,
or without its database, then back — the customer always gets a useful reply
with the phone numbers, and service recovers without restarting Rasa."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content.contacts import contacts
from bot.ops.health import responds
from bot.ops.model import current_model
from bot.ops.stack import RASA_COMMAND
from bot.settings import generated_secrets
from tests.support.ports import port

ROOT = Path(__file__).resolve().parents[2]
RASA_PORT, ACTION_PORT = port(17005), port(17055)
PHONES = contacts()
SLOW_SERVER = """
import asyncio, sys
from aiohttp import web
async def slow(request):
    await asyncio.sleep(60)
    return web.json_response({})
app = web.Application(); app.router.add_post('/webhook', slow)
web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)
"""


def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"port {port} never opened")


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("failures")
    e = dict(os.environ)
    e.update(
        PYTHONPATH=str(ROOT),
        RASA_TELEMETRY_ENABLED="false",
        DATABASE_URL=f"sqlite:///{tmp / 'contracts.db'}",
        TRACKER_DB=str(tmp / "trackers.db"),
        ACTION_SERVER_URL=f"http://127.0.0.1:{ACTION_PORT}/webhook",
        **generated_secrets({}),
        ACTION_PORT=str(ACTION_PORT),
        MESSAGE_TIMEOUT_SECONDS="4",
    )
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=e, check=True, capture_output=True)
    return e


@pytest.fixture(scope="module")
def rasa(env: dict[str, str]) -> Iterator[str]:
    model = current_model()
    proc = subprocess.Popen(
        [
            *RASA_COMMAND,
            "run",
            "--model",
            str(model),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
            "--port",
            str(RASA_PORT),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not responds(f"http://127.0.0.1:{RASA_PORT}/"):
        assert proc.poll() is None and time.monotonic() < deadline, "Rasa server did not start"
        time.sleep(1)
    yield f"http://127.0.0.1:{RASA_PORT}/webhooks/rest/webhook"
    _stop(proc)


def say(url: str, sender: str, text: str) -> list[dict]:
    req = urllib.request.Request(url, data=json.dumps({"sender": sender, "message": text}).encode())
    with urllib.request.urlopen(req, timeout=90) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def joined(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def action_server(env: dict[str, str], **overrides: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.rasa_server.action_server", "--port", str(ACTION_PORT)],
        cwd=ROOT,
        env={**env, **overrides},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not responds(f"http://127.0.0.1:{ACTION_PORT}/health"):
        assert proc.poll() is None and time.monotonic() < deadline, "action server did not start"
        time.sleep(0.3)
    return proc


def test_failures_and_recovery(rasa: str, env: dict[str, str]) -> None:
    sender = f"fail-{uuid.uuid4().hex}"
    # 1. Action server down: a form cannot start, but the customer is told what to do.
    reply = joined(say(rasa, sender, "what plan do I have?"))
    assert PHONES["gap_phone"] in reply and PHONES["roadside_phone"] in reply
    # Urgent answers never depend on the action server.
    assert PHONES["roadside_phone"] in joined(say(rasa, sender, "I'm stranded on the highway"))

    # 2. Action server hangs: answered within the guard's timeout.
    slow = subprocess.Popen([sys.executable, "-c", SLOW_SERVER, str(ACTION_PORT)], start_new_session=True)
    try:
        _wait_port(ACTION_PORT)
        started = time.monotonic()
        reply = joined(say(rasa, f"slow-{uuid.uuid4().hex}", "is my rental covered?"))
        assert time.monotonic() - started < 15
        assert PHONES["gap_phone"] in reply
    finally:
        _stop(slow)

    # 3. Contract database down: identity checks say so, with the number.
    broken = action_server(env, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    try:
        sender = f"db-{uuid.uuid4().hex}"
        say(rasa, sender, "look up my contract")
        reply = joined(say(rasa, sender, "Smith-Jones 98101 5YJ3E1EAXPF402917"))
        assert "can't reach our contract system" in reply and PHONES["gap_phone"] in reply
    finally:
        _stop(broken)

    # 4. Everything back: the same Rasa server answers normally again.
    healthy = action_server(env)
    try:
        sender = f"ok-{uuid.uuid4().hex}"
        assert "last name" in joined(say(rasa, sender, "what plan do I have?"))
        reply = joined(say(rasa, sender, "Smith-Jones 98101 5YJ3E1EAXPF402917"))
        assert "Feature Guard" in reply and "isn't responding" not in reply
    finally:
        _stop(healthy)
