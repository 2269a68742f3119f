"""The web app in process (aiohttp's test client): routes, headers, errors."""

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.contacts import contacts
from bot.content.faq import build_faq, faq_document, json_ld
from bot.web import __main__ as web_main
from bot.web import app as web_app
from bot.web.app import MissingAsset, Settings, create_app

RASA_URL = "http://rasa.example.test:5005"
STATIC = web_app.STATIC_DIR


def run(check: Callable[[TestClient], Awaitable[Any]], rasa_url: str = RASA_URL) -> Any:
    async def main() -> Any:
        async with TestClient(TestServer(create_app(Settings(rasa_url)))) as client:
            return await check(client)

    return asyncio.run(main())


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("/", "text/html"),
        ("/faq", "text/html"),
        ("/faq.json", "application/json"),
        ("/health", "application/json"),
        ("/widget.js", "application/javascript"),
        ("/widget.css", "text/css"),
        ("/faq-embed.js", "application/javascript"),
        ("/faq-embed.css", "text/css"),
        ("/vendor/socket.io.min.js", "application/javascript"),
    ],
)
def test_routes(path, content_type):
    async def check(client):
        response = await client.get(path)
        return response.status, response.content_type, response.headers

    status, got_type, headers = run(check)
    assert (status, got_type) == (200, content_type)
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_faq_json_is_the_generated_faq_and_public():
    async def check(client):
        response = await client.get("/faq.json")
        return await response.json(), response.headers

    body, headers = run(check)
    assert body == json.loads(json.dumps(faq_document(build_faq())))
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_faq_page_carries_the_structured_data_and_loads_widget_and_embed():
    async def check(client):
        response = await client.get("/faq")
        return await response.text(), response.headers

    page, headers = run(check)
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert json.loads(block) == json_ld(build_faq())
    assert '<script src="/faq-embed.js" data-target="#faq" defer></script>' in page
    assert f'<script src="/widget.js" data-rasa-url="{RASA_URL}" defer></script>' in page
    # It carries the widget: no other site may frame it (the Help Center uses /faq-embed.js).
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"


def test_pages_allow_sockets_to_rasa_only():
    async def check(client):
        return (await client.get("/")).headers["Content-Security-Policy"]

    policy = run(check)
    assert f"connect-src 'self' {RASA_URL} ws://rasa.example.test:5005" in policy
    assert "frame-ancestors 'self'" in policy
    secure = run(check, rasa_url="https://chat.example.test")
    assert "https://chat.example.test wss://chat.example.test" in secure


def test_the_rasa_url_is_escaped_into_the_page():
    async def check(client):
        return await (await client.get("/")).text()

    page = run(check, rasa_url='https://x.test/"><script>alert(1)</script>')
    assert "<script>alert(1)</script>" not in page
    assert "&quot;&gt;&lt;script&gt;" in page


def test_structured_data_cannot_close_its_script_element():
    assert web_app.script_safe_json({"a": "</script><b>"}) == '{"a": "\\u003c/script>\\u003cb>"}'


def test_rasa_url_setting():
    assert Settings.from_env({}).rasa_url == "http://localhost:5005"
    assert (
        Settings.from_env({"RASA_URL": "https://chat.example.test/"}).rasa_url == "https://chat.example.test"
    )


@pytest.mark.parametrize(
    "method, path, status, message",
    [
        ("GET", "/nope", 404, "nothing here at /nope"),
        ("POST", "/faq", 405, "POST is not allowed on /faq; use GET, HEAD"),
        ("DELETE", "/widget.js", 405, "DELETE is not allowed"),
    ],
)
def test_bad_requests_get_a_clear_4xx(method, path, status, message):
    async def check(client):
        response = await client.request(method, path)
        return response.status, await response.json()

    got_status, body = run(check)
    assert got_status == status and message in body["error"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    path=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), max_size=40),
    body=st.binary(max_size=2000),
)
def test_no_request_gets_a_5xx(method, path, body):
    async def check(client):
        response = await client.request(method, "/" + path.lstrip("/"), data=body)
        return response.status

    assert run(check) < 500


def test_the_scripts_never_render_text_as_html():
    for name in ("dom.js", "widget.js", "faq-embed.js"):
        source = (STATIC / name).read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source), name
        assert "textContent" in source


def test_a_missing_socket_io_client_stops_the_start_with_a_hint(monkeypatch, tmp_path, capsys):
    missing = tmp_path / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
    monkeypatch.setitem(web_app.ASSET_FILES, "/vendor/socket.io.min.js", ((missing,), web_app.JS))
    with pytest.raises(MissingAsset, match="npm ci"):
        create_app(Settings(RASA_URL))
    assert web_main.main(["--port", "0"]) == 2
    assert "npm ci" in capsys.readouterr().err


def _widget_config(settings: Settings | None = None) -> dict[str, Any]:
    async def main() -> str:
        async with TestClient(TestServer(create_app(settings or Settings(RASA_URL)))) as client:
            return await (await client.get("/widget.js")).text()

    script = asyncio.run(main())
    prefix = "var AllyWidgetConfig = "
    assert script.startswith(prefix)
    return json.loads(script[len(prefix) : script.index(";\n")])


def test_the_widget_carries_the_numbers_to_call_when_it_cannot_connect(monkeypatch):
    monkeypatch.setenv("ROADSIDE_PHONE", "1-999-555-0123")
    text = "\n".join(_widget_config()["unreachable"])
    assert "1-999-555-0123" in text and contacts()["gap_phone"] in text and "911" in text


def test_the_widget_waits_longer_than_the_server_may_take_before_not_sent():
    settings = Settings.from_env({"RASA_URL": RASA_URL, "MESSAGE_TIMEOUT_SECONDS": "7"})
    assert _widget_config(settings)["sendTimeoutMs"] == (7 + web_app.SEND_TIMEOUT_MARGIN_SECONDS) * 1000


def test_no_script_writes_a_phone_number_itself():
    for path in STATIC.glob("*.js"):
        assert not re.search(r"\d{3}[-. ]\d{4}", path.read_text(encoding="utf-8")), path.name
