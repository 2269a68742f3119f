"""The Prometheus scrape endpoint, for the Rasa server (/webhooks/metrics/) and the action server (/metrics).

Only a scraper that sends ``Authorization: Bearer $METRICS_TOKEN`` gets the
counts: the Rasa port is public, and they describe every customer's
conversations. Without METRICS_TOKEN both endpoints answer 404.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import settings


def scrape_response(request: Request) -> HTTPResponse:
    """The metrics for a scraper holding METRICS_TOKEN; 404 when none is configured, else 401."""
    token = settings().metrics_token
    if not token:
        return response.json({"error": "metrics are off (set METRICS_TOKEN)"}, status=404)
    if not holds_token(request, token):
        return response.json({"error": "send Authorization: Bearer <METRICS_TOKEN>"}, status=401)
    return response.raw(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def bearer(request: Request) -> str:
    """The token of the request's ``Authorization: Bearer <token>`` header ("" without one)."""
    return str(request.headers.get("authorization", "")).removeprefix("Bearer ").strip()


def holds_token(request: Request, token: str) -> bool:
    """The request carries ``Authorization: Bearer <token>`` (compared in constant time)."""
    return hmac.compare_digest(bearer(request).encode(), token.encode())
