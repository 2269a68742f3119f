"""The product's processes, as supervisor children: one definition for `make run`,
`make topology`, `make shell`, the bench and the tests.

Every value comes from bot/settings.py; a child gets the resolved values in
its environment (``Settings.exported``), so each process sees the same ports,
URLs and files as the one that started it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.ops import nginx
from bot.ops.supervisor import Child
from bot.settings import ROOT, Settings

# `rasa`, with the intent classifier's serialiser imported first: 6 s sooner (bot/rasa_server/__main__.py).
RASA_COMMAND = (sys.executable, "-m", "bot.rasa_server")
CREDENTIALS = "credentials.yml"
LOGGING_CONFIG = "deploy/logging.yml"
ACTION_SERVER = "action server"
RASA_SERVER = "Rasa server"
WEB_APP = "web app"
CLAIMS_WORKER = "claims worker"
LOAD_BALANCER = "nginx"


def child_environment(conf: Settings, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` (usually os.environ) with the resolved settings and the process defaults."""
    env = dict(base)
    env.update(conf.exported())
    env.setdefault("PYTHONPATH", str(ROOT))
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    # Sanic (Rasa and the action server) closes a connection that has not sent
    # a request within KEEP_ALIVE_TIMEOUT, 5 s by default, even a new one. Under
    # load Rasa's busy event loop connects to the action server and writes the
    # request seconds later, and the action is lost ("Cannot write to closing
    # transport"; tests/e2e/test_concurrency.py). 75 s also outlasts the usual
    # 60 s idle timeout of a load balancer in front of Rasa.
    env.setdefault("SANIC_KEEP_ALIVE_TIMEOUT", "75")
    # Rasa's listen backlog (Sanic's default: 100 connections not yet accepted).
    # Behind nginx every request is a new connection: with 100, a burst of 200
    # conversations made nginx time out connecting to both replicas and answer
    # 502s (tests/scaleout/test_load_balancer.py; docs/deployment.md).
    env.setdefault("SANIC_BACKLOG", "1024")
    return env


def action_server(
    conf: Settings, env: dict[str, str], *, name: str = ACTION_SERVER, log_file: Path | None = None
) -> Child:
    return Child(
        name,
        [sys.executable, "-m", "bot.rasa_server.action_server", "--port", str(conf.action_port)],
        f"http://127.0.0.1:{conf.action_port}/health",
        conf.action_server_url,
        cwd=ROOT,
        env=env,
        log_file=log_file,
    )


def rasa_server_command(model: str, conf: Settings, *, interface: str | None = None) -> list[str]:
    command = [
        *RASA_COMMAND,
        "run",
        "--model",
        model,
        "--endpoints",
        conf.rasa_endpoints,
        "--credentials",
        CREDENTIALS,
        "--port",
        str(conf.rasa_port),
        "--cors",
        *conf.cors_origins,
        "--logging-config-file",
        LOGGING_CONFIG,
    ]
    if interface:
        command += ["--interface", interface]
    if conf.rasa_jwt_secret:  # the HTTP API stays off unless a JWT secret is configured
        command += ["--enable-api", "--jwt-secret", conf.rasa_jwt_secret]
    return command


def rasa_server(
    model: str,
    conf: Settings,
    env: dict[str, str],
    *,
    name: str = RASA_SERVER,
    interface: str | None = None,
    log_file: Path | None = None,
) -> Child:
    return Child(
        name,
        rasa_server_command(model, conf, interface=interface),
        f"http://127.0.0.1:{conf.rasa_port}/",
        f"http://{conf.public_host}:{conf.rasa_port}/webhooks/rest/webhook",
        cwd=ROOT,
        env=env,
        log_file=log_file,
    )


def web_app(conf: Settings, env: dict[str, str], *, log_file: Path | None = None) -> Child:
    return Child(
        WEB_APP,
        [sys.executable, "-m", "bot.web", "--port", str(conf.web_port)],
        f"http://127.0.0.1:{conf.web_port}/health",
        f"{conf.web_url}/",
        cwd=ROOT,
        env=env,
        log_file=log_file,
    )


def claims_worker(conf: Settings, env: dict[str, str], *, log_file: Path | None = None) -> Child:
    """Delivers claim status updates from the outbox (bot/claims/worker.py); no port, no health URL."""
    return Child(
        CLAIMS_WORKER,
        [sys.executable, "-m", "bot.claims.worker"],
        cwd=ROOT,
        env=env,
        log_file=log_file,
    )


def load_balancer(
    conf: Settings, config: Path, env: dict[str, str], *, log_file: Path | None = None
) -> Child:
    """nginx with ``config`` (bot/ops/nginx.py's ``write_config``), listening on ``lb_port``."""
    return Child(
        LOAD_BALANCER,
        nginx.command(config),
        f"http://127.0.0.1:{conf.lb_port}{nginx.HEALTH_PATH}",
        f"http://{conf.public_host}:{conf.lb_port}/",
        cwd=ROOT,
        env=env,
        log_file=log_file,
    )


def product(model: str, conf: Settings, env: dict[str, str]) -> list[Child]:
    """What `make run` starts: the action server, the Rasa server, the web app and the claims worker."""
    return [
        action_server(conf, env),
        rasa_server(model, conf, env),
        web_app(conf, env),
        claims_worker(conf, env),
    ]


def prepare_database(env: Mapping[str, str]) -> None:
    """Migrations, then the demo contracts (skipped when contracts exist)."""
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=dict(env), check=True)
