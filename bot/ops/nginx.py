"""nginx in front of the Rasa replicas and the web app (deploy/nginx/).

``site`` fills in deploy/nginx/assistant.conf.in from the list of replicas;
``write_config`` adds the unprivileged main configuration (deploy/nginx/nginx.conf.in)
for `make topology` and the scale-out tests, which run nginx as a supervised
child (bot/ops/stack.py). ``python -m bot.ops.nginx`` prints the site for a
production nginx to include in its ``http`` block.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.settings import REPLICA_NAME, ROOT

NGINX = "/usr/sbin/nginx"  # the Debian package (scripts/services.sh installs it when missing)
TEMPLATES = ROOT / "deploy" / "nginx"
SITE_FILE = "assistant.conf"
MAIN_FILE = "nginx.conf"
HEALTH_PATH = "/nginx-health"
# Passive health checks: this many failed requests within FAIL_TIMEOUT_SECONDS
# take a replica out for that long; then a single request tries it again. Each
# failed request goes on to another replica, so more than one costs nothing,
# and one slow turn (a timeout counts as a failure too) cannot take a replica out.
MAX_FAILS = 3
FAIL_TIMEOUT_SECONDS = 5
PLACEHOLDER = re.compile(r"@[A-Z_]+@")


@dataclass(frozen=True)
class Replica:
    name: str  # its REPLICA_NAME: the start of every socket.io session id it issues
    address: str  # host:port nginx connects to


def _fill(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = PLACEHOLDER.findall(text)
    if left:
        raise ValueError(f"{template}: no value for {', '.join(left)}")
    return text


def _server(address: str, *, backup: bool = False) -> str:
    if backup:
        return f"    server {address} backup;"
    return f"    server {address} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT_SECONDS}s;"


def site(listen: str, replicas: Sequence[Replica], web_app: str) -> str:
    """deploy/nginx/assistant.conf.in for these replicas and web app, listening on ``listen``."""
    if not replicas:
        raise ValueError("at least one replica")
    names = [r.name for r in replicas]
    if len(set(names)) != len(names) or not all(REPLICA_NAME.match(n) for n in names):
        raise ValueError(f"replica names must be distinct lowercase letters or digits: {names}")
    session_upstreams = []
    for owner in replicas:
        servers = [_server(owner.address)]
        servers += [_server(r.address, backup=True) for r in replicas if r is not owner]
        session_upstreams.append(f"upstream rasa_{owner.name} {{\n" + "\n".join(servers) + "\n}")
    return _fill(
        SITE_FILE + ".in",
        {
            "LISTEN": listen,
            "ANY_REPLICA": "\n".join(_server(r.address) for r in replicas),
            "SESSION_UPSTREAMS": "\n\n".join(session_upstreams),
            "WEB_APP": f"    server {web_app};",
            "SESSION_ROUTES": "\n".join(f"    ~^{r.name}\\. rasa_{r.name};" for r in replicas),
        },
    )


def write_config(run_dir: Path, listen: str, replicas: Sequence[Replica], web_app: str) -> Path:
    """The site and an unprivileged main configuration in ``run_dir``; the main file's path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / SITE_FILE).write_text(site(listen, replicas, web_app))
    main = run_dir / MAIN_FILE
    main.write_text(_fill(MAIN_FILE + ".in", {"RUN_DIR": str(run_dir.resolve())}))
    return main


def command(config: Path) -> list[str]:
    """nginx in the foreground (so the supervisor owns it) with ``config``."""
    return [NGINX, "-p", f"{config.parent.resolve()}/", "-c", str(config.resolve()), "-g", "daemon off;"]


def _replica(value: str) -> Replica:
    name, sep, address = value.partition("=")
    if not sep or not address:
        raise argparse.ArgumentTypeError(f"{value!r}: use NAME=HOST:PORT")
    return Replica(name, address)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the nginx site (deploy/nginx/assistant.conf.in).")
    parser.add_argument(
        "--listen", required=True, help="nginx `listen` value, e.g. 443 ssl or 127.0.0.1:8090"
    )
    parser.add_argument(
        "--replica",
        type=_replica,
        action="append",
        required=True,
        metavar="NAME=HOST:PORT",
        help="a Rasa replica and its REPLICA_NAME (repeat for each)",
    )
    parser.add_argument("--web", required=True, metavar="HOST:PORT", help="the web app")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(site(args.listen, args.replica, args.web))
    except ValueError as problem:
        parser.error(str(problem))
    return 0


if __name__ == "__main__":
    sys.exit(main())
