"""The metrics endpoints answer only a scraper holding METRICS_TOKEN (bot/rasa_server/scrape.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sanic.response import HTTPResponse

from bot.rasa_server.scrape import scrape_response


def get(headers: dict[str, str] | None = None) -> HTTPResponse:
    request: Any = SimpleNamespace(headers=headers or {})
    return scrape_response(request)


def test_metrics_are_off_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    assert get().status == 404
    assert get({"authorization": "Bearer "}).status == 404


def test_metrics_need_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "scrape-me")
    assert get().status == 401
    assert get({"authorization": "Bearer wrong"}).status == 401
    ok = get({"authorization": "Bearer scrape-me"})
    assert ok.status == 200 and b"python_info" in ok.body
