"""The action server: rasa-sdk's app, locked down.

- refuses every call without ACTION_SERVER_TOKEN (Rasa sends it as ?token=…),
  and does not start without it (`make run` generates one) or without
  ASSISTANT_SECRET_KEY, which signs verification proofs (actions/common.py);
- listens on 127.0.0.1 unless ACTION_HOST says otherwise;
- never echoes the request (the tracker, with personal data) on an error;
- serves Prometheus metrics at /metrics (METRICS_TOKEN) and logs masked JSON.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.ops import logs
from bot.rasa_server.scrape import scrape_response
from bot.settings import settings

log = logging.getLogger(__name__)
OPEN_PATHS = {"/health", "/metrics"}  # /metrics checks METRICS_TOKEN itself


def build_app(token: str) -> Sanic:
    if not token:
        raise ValueError("the action server needs a token")
    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
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
    async def metrics(request: Request) -> HTTPResponse:
        return scrape_response(request)

    return app


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    conf = settings()
    parser.add_argument("--port", type=int, default=conf.action_port)
    args = parser.parse_args(argv)
    token = conf.action_server_token
    if not token:
        print("refusing to start without ACTION_SERVER_TOKEN (`make run` generates one)", file=sys.stderr)
        return 2
    if not conf.secret_key:
        print("refusing to start without ASSISTANT_SECRET_KEY (`make run` generates one)", file=sys.stderr)
        return 2
    logs.configure(conf.log_level)
    build_app(token).run(conf.action_host, args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
