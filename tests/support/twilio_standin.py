"""A local stand-in for Twilio's REST API (Messages and Media), run in a thread.

The claims worker and the MMS fetch talk to it through TWILIO_API_URL. It
checks HTTP basic auth like Twilio, records every message created, lists them
newest first, serves media, and can be told to fail, stall or redirect.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from aiohttp import BasicAuth, web

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "standin-auth-token"
PREFIX = f"/2010-04-01/Accounts/{ACCOUNT_SID}"


@dataclass
class Message:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str
    date_created: datetime


@dataclass
class Media:
    body: bytes = b""
    content_type: str = "image/jpeg"
    redirect_to: str | None = None  # answer 307 to this URL instead
    delay_seconds: float = 0.0
    send_length: bool = True  # False: stream it without a Content-Length
    public: bool = False  # served without credentials (a CDN's signed URL)


@dataclass
class TwilioStandIn:
    port: int = 0  # 0: a free one, known once started (tests in parallel workers never collide)
    auth_token: str = AUTH_TOKEN
    messages: list[Message] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)  # path -> what to serve
    # Each create answers with the next of these first: an int is an error status,
    # "stall" records the message and answers only after ``stall_seconds``.
    faults: list[Any] = field(default_factory=list)
    stall_seconds: float = 0.0
    requests: list[tuple[str, str, bool]] = field(default_factory=list)  # (method, path, had auth)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    _sids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def media_url(self, name: str) -> str:
        return f"{self.url}{PREFIX}/Messages/MM{'1' * 32}/Media/{name}"

    def add_media(self, name: str, media: Media) -> str:
        self.media[f"{PREFIX}/Messages/MM{'1' * 32}/Media/{name}"] = media
        return self.media_url(name)

    # --- the API ---------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        try:
            auth = BasicAuth.decode(header)
        except ValueError:
            return False
        return (auth.login, auth.password) == (ACCOUNT_SID, self.auth_token)

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {"code": code, "message": message, "more_info": "", "status": status}, status=status
        )

    async def _create(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path, "Authorization" in request.headers))
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        form = await request.post()
        fault = self.faults.pop(0) if self.faults else None
        if isinstance(fault, int):
            code = 21211 if fault == 400 else 20500
            return self._error(fault, code, "stand-in fault")
        message = Message(
            sid=f"SM{next(self._sids):032d}",
            to=str(form.get("To", "")),
            from_=str(form.get("From", "")),
            body=str(form.get("Body", "")),
            status_callback=str(form.get("StatusCallback", "")),
            date_created=datetime.now(timezone.utc),
        )
        self.messages.append(message)
        if fault == "stall":
            await asyncio.sleep(self.stall_seconds)
        return web.json_response(self._payload(message), status=201)

    def _payload(self, message: Message) -> dict[str, Any]:
        return {
            "sid": message.sid,
            "account_sid": ACCOUNT_SID,
            "to": message.to,
            "from": message.from_,
            "body": message.body,
            "status": "queued",
            "direction": "outbound-api",
            "date_created": format_datetime(message.date_created, usegmt=True),
            "date_updated": format_datetime(message.date_created, usegmt=True),
            "date_sent": None,
            "num_segments": "1",
            "num_media": "0",
            "uri": f"{PREFIX}/Messages/{message.sid}.json",
        }

    async def _list(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path, "Authorization" in request.headers))
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        to, from_ = request.query.get("To"), request.query.get("From")
        found = [
            self._payload(m)
            for m in reversed(self.messages)
            if (to is None or m.to == to) and (from_ is None or m.from_ == from_)
        ]
        return web.json_response(
            {"messages": found, "next_page_uri": None, "page": 0, "page_size": 50, "uri": request.path_qs}
        )

    async def _media(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path, "Authorization" in request.headers))
        media = self.media.get(request.path)
        if media is None:
            return self._error(404, 20404, "not found")
        if not media.public and not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        if media.delay_seconds:
            await asyncio.sleep(media.delay_seconds)
        if media.redirect_to:
            raise web.HTTPTemporaryRedirect(media.redirect_to)
        if media.send_length:
            return web.Response(body=media.body, content_type=media.content_type)
        response = web.StreamResponse(headers={"Content-Type": media.content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(media.body), 16 * 1024):
            await response.write(media.body[start : start + 16 * 1024])
        await response.write_eof()
        return response

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(f"{PREFIX}/Messages.json", self._create)
        app.router.add_get(f"{PREFIX}/Messages.json", self._list)
        app.router.add_get(f"{PREFIX}/Messages/{{message}}/Media/{{media}}", self._media)
        return app

    # --- running ---------------------------------------------------------------------

    def start(self) -> TwilioStandIn:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            self._runner = web.AppRunner(self.app())
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            self.port = self._runner.addresses[0][1]

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="twilio-standin", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Twilio stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> TwilioStandIn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
