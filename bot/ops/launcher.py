"""Start the whole product (action server, Rasa server, web app) and stop it cleanly.

`make run` calls this after setup and training. The supervisor
(bot/ops/supervisor.py) restarts a child that dies while the rest keep
serving; Ctrl-C or SIGTERM (once or repeatedly) stops them all and frees the
ports, and no child outlives the launcher, even a SIGKILLed one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.ops.supervisor import Child, LaunchFailed, Supervisor, stop_on_signals
from bot.settings import ROOT, RUN_SECRETS_FILE, generated_secrets

VENV_BIN = Path(sys.executable).parent
STOP_GRACE_SECONDS = 10
START_TIMEOUT_SECONDS = 240


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    public_url: str


def settings(environ: dict[str, str]) -> dict[str, str]:
    """Ports and URLs, overridable by environment variables (see README)."""
    rasa_port = environ.get("RASA_PORT", "5005")
    action_port = environ.get("ACTION_PORT", "5055")
    web_port = environ.get("WEB_PORT", "8080")
    host = environ.get("PUBLIC_HOST", "localhost")
    return {
        "RASA_PORT": rasa_port,
        "ACTION_PORT": action_port,
        "WEB_PORT": web_port,
        "ACTION_SERVER_URL": environ.get("ACTION_SERVER_URL", f"http://127.0.0.1:{action_port}/webhook"),
        "RASA_URL": environ.get("RASA_URL", f"http://{host}:{rasa_port}"),
        "CORS_ORIGINS": environ.get("CORS_ORIGINS", f"http://{host}:{web_port} http://127.0.0.1:{web_port}"),
        "PUBLIC_HOST": host,
        "TRACKER_DB": environ.get("TRACKER_DB", str(ROOT / "var" / "trackers.db")),
        # deploy/endpoints.production.yml: PostgreSQL tracker store + Redis lock store
        "RASA_ENDPOINTS": environ.get("RASA_ENDPOINTS", "endpoints.yml"),
    }


def child_environment(conf: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(conf)
    env.setdefault("PYTHONPATH", str(ROOT))
    env["RASA_TELEMETRY_ENABLED"] = "false"
    # ACTION_SERVER_TOKEN and ASSISTANT_SECRET_KEY, kept across runs of this checkout.
    env.update(generated_secrets(env, keep_in=RUN_SECRETS_FILE))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    # Sanic (Rasa and the action server) closes a connection that has not sent
    # a request within KEEP_ALIVE_TIMEOUT, 5 s by default, even a new one. Under
    # load Rasa's busy event loop connects to the action server and writes the
    # request seconds later, and the action is lost ("Cannot write to closing
    # transport"; tests/e2e/test_concurrency.py). 75 s also outlasts the usual
    # 60 s idle timeout of a load balancer in front of Rasa.
    env.setdefault("SANIC_KEEP_ALIVE_TIMEOUT", "75")
    return env


def services(model: str, conf: dict[str, str]) -> list[Service]:
    host = conf["PUBLIC_HOST"]
    rasa_cmd = [
        str(VENV_BIN / "rasa"),
        "run",
        "--model",
        model,
        "--endpoints",
        conf["RASA_ENDPOINTS"],
        "--credentials",
        "credentials.yml",
        "--port",
        conf["RASA_PORT"],
        "--cors",
        *conf["CORS_ORIGINS"].split(),
        "--logging-config-file",
        "deploy/logging.yml",
    ]
    jwt_secret = os.environ.get("RASA_JWT_SECRET", "")
    if jwt_secret:  # the HTTP API stays off unless a JWT secret is configured
        rasa_cmd += ["--enable-api", "--jwt-secret", jwt_secret]
    out = [
        Service(
            "action server",
            [sys.executable, "-m", "bot.rasa_server.action_server", "--port", conf["ACTION_PORT"]],
            f"http://127.0.0.1:{conf['ACTION_PORT']}/health",
            conf["ACTION_SERVER_URL"],
        ),
        Service(
            "Rasa server",
            rasa_cmd,
            f"http://127.0.0.1:{conf['RASA_PORT']}/",
            f"http://{host}:{conf['RASA_PORT']}/webhooks/rest/webhook",
        ),
    ]
    if (ROOT / "bot" / "web" / "__main__.py").exists():
        out.append(
            Service(
                "web app",
                [sys.executable, "-m", "bot.web", "--port", conf["WEB_PORT"]],
                f"http://127.0.0.1:{conf['WEB_PORT']}/health",
                f"http://{host}:{conf['WEB_PORT']}/",
            )
        )
    return out


def prepare_database(env: dict[str, str]) -> None:
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="trained model (.tar.gz)")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo contracts")
    args = parser.parse_args(argv)

    conf = settings(dict(os.environ))
    env = child_environment(conf)
    if not args.no_seed:
        prepare_database(env)

    supervisor = Supervisor(
        [
            Child(s.name, s.command, s.health_url, s.public_url, cwd=ROOT, env=env)
            for s in services(args.model, conf)
        ],
        stop_grace_seconds=STOP_GRACE_SECONDS,
    )
    stop_on_signals(supervisor)
    try:
        try:
            supervisor.start_all(START_TIMEOUT_SECONDS)
        except LaunchFailed as problem:
            print(f"\nstartup failed: {problem}", file=sys.stderr)
            return 1
        print("\nAlly Premier Protection assistant is running:")
        for child in supervisor.children:
            print(f"  {child.name:<14} {child.public_url}")
        print("Press Ctrl-C to stop.\n", flush=True)
        supervisor.serve_forever()
        return 0
    except LaunchFailed as problem:
        print(f"\n{problem}; stopping everything", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping...", file=sys.stderr)
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
