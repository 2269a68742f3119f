"""The widget reconnects after a server restart and keeps its conversation.

Restarting the real Rasa server takes a minute, so a stand-in socket.io server
that speaks the same events (session_request/session_confirm, user_uttered/
bot_uttered) is stopped and started under the real widget.js served by the
stack. The stand-in also serves the host page: Chromium only lets a page on
a loopback address open sockets to one.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator

import pytest
import socketio
from aiohttp import web
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import Chat


class StandInServer:
    """A socket.io server in its own thread that echoes each message."""

    def __init__(self, widget_url: str) -> None:
        self.widget_url = widget_url
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.session_requests: list[str | None] = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self._runner: web.AppRunner | None = None

    def _app(self) -> web.Application:
        sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
        app = web.Application()
        sio.attach(app)

        async def host_page(_: web.Request) -> web.Response:
            return web.Response(
                content_type="text/html",
                text="<!doctype html><html lang=en><title>Reconnect test</title><body>"
                f'<script src="{self.widget_url}" data-rasa-url="{self.url}" defer></script>',
            )

        app.router.add_get("/", host_page)

        @sio.on("session_request")
        async def session_request(sid: str, data: dict) -> None:
            token = data.get("session_id")  # none at first: a server issues one, as Rasa's does
            self.session_requests.append(token)
            token = token or f"stand-in-token-{len(self.session_requests)}"
            await sio.enter_room(sid, token)
            await sio.emit("session_confirm", token, room=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: dict) -> None:
            await sio.emit("bot_uttered", {"text": "echo: " + data["message"]}, room=data["session_id"])

        return app

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, coro) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def start(self) -> None:
        async def start() -> None:
            self._runner = web.AppRunner(self._app(), shutdown_timeout=0.5)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

        self._call(start())

    def stop(self) -> None:
        assert self._runner is not None
        self._call(self._runner.cleanup())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def stand_in(web_url: str) -> Iterator[StandInServer]:
    server = StandInServer(web_url + "/widget.js")
    server.start()
    yield server
    server.stop()
    server.close()


@pytest.fixture
def page(browser: Browser, stand_in: StandInServer) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(stand_in.url)
    yield page
    context.close()


def _wait_status(page: Page, pattern: str) -> None:
    expect(page.get_by_role("status")).to_have_text(re.compile(pattern), timeout=20_000)


def test_the_widget_reconnects_and_rejoins_its_session(page: Page, stand_in: StandInServer):
    chat = Chat(page)
    chat.open()  # the stand-in echoes the greeting request
    assert chat.ask("first") == ["echo: first"]
    _wait_status(page, r"^Connected$")

    stand_in.stop()
    _wait_status(page, r"Reconnecting|Retrying")
    stand_in.start()
    _wait_status(page, r"^Connected$")

    assert chat.ask("second") == ["echo: second"]
    session = chat.session_id()
    assert stand_in.session_requests == [None, session]
