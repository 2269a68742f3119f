"""Start the whole product (action server, Rasa server, web app) and stop it cleanly.

`make run` calls this after setup and training. Every child runs in its own
process group; Ctrl-C or SIGTERM stops them all and frees the ports. If one
child dies, the others are stopped too, so nothing is left half-running.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bot.ops.health import responds
from bot.settings import ROOT

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
    env.setdefault("ACTION_SERVER_TOKEN", "")
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


class Supervisor:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple] = []
        self.stopping = False

    def start(self, service: Service) -> None:
        proc = subprocess.Popen(service.command, cwd=ROOT, env=self.env, start_new_session=True)
        self.children.append((service, proc))

    def wait_healthy(self, timeout: float) -> str | None:
        """None when every child answers its health check, else the problem."""
        deadline = time.monotonic() + timeout
        pending = [s for s, _ in self.children]
        while pending and time.monotonic() < deadline:
            for service, proc in self.children:
                if proc.poll() is not None:
                    return f"{service.name} exited with code {proc.returncode}"
            pending = [s for s in pending if not responds(s.health_url)]
            if pending:
                time.sleep(0.5)
        return f"timed out waiting for {', '.join(s.name for s in pending)}" if pending else None

    def first_exit(self) -> str | None:
        for service, proc in self.children:
            if proc.poll() is not None:
                return f"{service.name} exited with code {proc.returncode}"
        return None

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        for _, proc in self.children:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _, proc in self.children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


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

    supervisor = Supervisor(env)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        for service in services(args.model, conf):
            supervisor.start(service)
        problem = supervisor.wait_healthy(START_TIMEOUT_SECONDS)
        if problem:
            print(f"\nstartup failed: {problem}", file=sys.stderr)
            return 1
        print("\nAlly Premier Protection assistant is running:")
        for service, _ in supervisor.children:
            print(f"  {service.name:<14} {service.public_url}")
        print("Press Ctrl-C to stop.\n", flush=True)
        while True:
            problem = supervisor.first_exit()
            if problem:
                print(f"\n{problem}; stopping everything", file=sys.stderr)
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping...", file=sys.stderr)
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
