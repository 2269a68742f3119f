"""A stand-in for Rasa's socket.io channel, to stop and start under the real widget.js.

Restarting the real Rasa server takes a minute, so this server speaks the same
events (session_request/session_confirm, user_uttered with its acknowledgement
and ``reply_to``/``reply_index`` replies, session_end) and echoes each message.
It also serves the host page: Chromium only lets a page on a loopback address
open sockets to one. Its port comes from tests/support/ports.py.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import socketio
from aiohttp import web

from tests.support.ports import port

BASE_PORT = 18300
# The host page: a heading, text and a link for the widget to cover, and make inert, on a phone.
HOST_PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1"><title>Stand-in host page</title></head>
<body><main><h1>Host page</h1><p>Page text the widget must not trap.</p><a href="#top">A page link</a></main>
<script src="{widget}" data-rasa-url="{rasa}" defer></script></body></html>"""


@dataclass
class Received:
    message: str
    message_id: str | None


@dataclass
class StandInServer:
    """Echoes each message as "echo: <message>"; ``swallow`` messages get no answer and no ack."""

    widget_url: str
    rasa_url: str | None = None  # where the page's widget connects: this server unless given
    port: int = field(default_factory=lambda: port(BASE_PORT))
    session_requests: list[str | None] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)  # sessions ended by "End chat"
    received: list[Received] = field(default_factory=list)
    swallow: set[str] = field(default_factory=set)
    reply_delay_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _app(self) -> web.Application:
        sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
        app = web.Application()
        sio.attach(app)
        page = HOST_PAGE.format(widget=self.widget_url, rasa=self.rasa_url or self.url)

        async def host_page(_: web.Request) -> web.Response:
            return web.Response(content_type="text/html", text=page)

        app.router.add_get("/", host_page)

        @sio.on("session_request")
        async def session_request(sid: str, data: dict) -> None:
            token = data.get("session_id")  # none at first: a server issues one, as Rasa's does
            self.session_requests.append(token)
            token = token or f"stand-in-token-{len(self.session_requests)}"
            await sio.save_session(sid, {"token": token})
            await sio.enter_room(sid, token)
            await sio.emit("session_confirm", token, room=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: dict) -> dict:
            self.received.append(Received(data["message"], data.get("message_id")))
            if data["message"] in self.swallow:
                self.swallow.discard(data["message"])  # lost once, as with a dying replica:
                await asyncio.Event().wait()  # never answered, never acknowledged
            await asyncio.sleep(self.reply_delay_seconds)
            reply = {"text": "echo: " + data["message"], "reply_to": data.get("message_id"), "reply_index": 0}
            await sio.emit("bot_uttered", reply, room=data["session_id"])
            return {"ok": True, "message_id": data.get("message_id")}

        @sio.on("session_end")
        async def session_end(sid: str, _: dict | None = None) -> dict:
            session = await sio.get_session(sid)
            self.ended.append(session["token"])
            return {"ok": True, "message_id": None}

        return app

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
