"""The action server: rasa-sdk's app, locked down.

- listens on 127.0.0.1 unless ACTION_HOST says otherwise, and then only with
  ACTION_SERVER_TOKEN set (Rasa sends it as ?token=…);
- never echoes the request (the tracker, with personal data) on an error;
- serves Prometheus metrics at /metrics and logs masked JSON.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.ops import logs
from bot.settings import settings

log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
OPEN_PATHS = {"/health", "/metrics"}


def build_app(token: str | None) -> Sanic:
    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if not token or request.path in OPEN_PATHS:
            return None
        given = request.args.get("token") or request.headers.get("authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def on_error(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500)
        if status >= 500:
            log.error("action request failed: %s", type(exception).__name__, exc_info=exception)
        return response.json({"error": "action failed" if status >= 500 else str(exception)}, status=status)

    app.error_handler.add(Exception, on_error)

    @app.get("/metrics")
    async def metrics(_: Request) -> HTTPResponse:
        return response.raw(generate_latest(), content_type=CONTENT_TYPE_LATEST)

    return app


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    conf = settings()
    parser.add_argument("--port", type=int, default=conf.action_port)
    args = parser.parse_args(argv)
    host = conf.action_host
    token = conf.action_server_token
    if host not in LOOPBACK and not token:
        print("refusing to listen on a public address without ACTION_SERVER_TOKEN", file=sys.stderr)
        return 2
    logs.configure(conf.log_level)
    build_app(token).run(host, args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
