"""The aiohttp application: pages, widget assets, FAQ data and health.

Assets are read and the FAQ is generated once at startup, so a missing file or
a broken response template stops the server before any customer sees it.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from aiohttp import web

from bot import settings as product_settings
from bot.content.faq import build_faq, faq_document, json_ld
from bot.content.messages import render
from bot.web.claims import add_claim_routes

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = Path(__file__).with_name("static")
TEMPLATES_DIR = Path(__file__).with_name("templates")
SOCKET_IO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
DEFAULT_RASA_URL = product_settings.Settings().rasa_url

JS = "application/javascript"
CSS = "text/css"
# Each route serves its files joined in order: both embeds carry the shared
# DOM helpers (dom.js), the FAQ embed its search, so that each one stays a single script tag.
ASSET_FILES: dict[str, tuple[tuple[Path, ...], str]] = {
    "/widget.js": ((STATIC_DIR / "dom.js", STATIC_DIR / "widget.js"), JS),
    "/widget.css": ((STATIC_DIR / "widget.css",), CSS),
    "/faq-embed.js": ((STATIC_DIR / "dom.js", STATIC_DIR / "faq-search.js", STATIC_DIR / "faq-embed.js"), JS),
    "/faq-embed.css": ((STATIC_DIR / "faq-embed.css",), CSS),
    "/site.css": ((STATIC_DIR / "site.css",), CSS),
    "/vendor/socket.io.min.js": ((SOCKET_IO_CLIENT,), JS),
}
# Beyond the server's longest answer time: the network's share of a turn.
SEND_TIMEOUT_MARGIN_SECONDS = 5
# Short enough that a deployment is picked up within minutes.
ASSET_CACHE_CONTROL = "public, max-age=300"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class MissingAsset(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    rasa_url: str  # where browsers reach Rasa's socket.io channel
    conf: product_settings.Settings = field(default_factory=product_settings.Settings)  # the claims routes'

    @classmethod
    def from_settings(cls, conf: product_settings.Settings) -> Settings:
        return cls(rasa_url=conf.rasa_url, conf=conf)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        return cls.from_settings(product_settings.load(environ))


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str


def load_assets() -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    for route, (paths, content_type) in ASSET_FILES.items():
        for path in paths:
            if not path.is_file():
                hint = ""
                if "node_modules" in path.parts:
                    hint = " (run `npm ci` in the repository, as scripts/setup.sh does)"
                raise MissingAsset(f"{path} is missing{hint}")
        assets[route] = Asset(b"\n".join(p.read_bytes() for p in paths), content_type)
    return assets


def widget_config(conf: product_settings.Settings) -> bytes:
    """``AllyWidgetConfig``, served in front of widget.js: its texts with this deployment's numbers,
    and how long to wait for an acknowledgement before showing "Not sent".

    In the script itself, not fetched: a widget that cannot reach anything still has them. The
    server answers every message within MESSAGE_TIMEOUT_SECONDS, if only to say to try again,
    so a slow turn is never shown as not sent.
    """
    config = {
        "unreachable": render("widget_unreachable")["text"].split("\n"),
        "sendTimeoutMs": round((conf.message_timeout_seconds + SEND_TIMEOUT_MARGIN_SECONDS) * 1000),
    }
    return f"var AllyWidgetConfig = {script_safe_json(config)};\n".encode()


def content_security_policy(rasa_url: str) -> str:
    """Scripts and styles only from here; sockets only to Rasa; framed only by this site."""
    parts = urlsplit(rasa_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    socket_origin = ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {origin} {socket_origin}",
            "frame-ancestors 'self'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


def script_safe_json(data: object) -> str:
    """JSON that cannot close the <script> element it is embedded in."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def render_page(name: str, **values: str) -> str:
    template = Template((TEMPLATES_DIR / name).read_text(encoding="utf-8"))
    return template.substitute(values)


def _error_message(request: web.Request, exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPNotFound):
        return f"nothing here at {request.path}; try / or /faq"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"{request.method} is not allowed on {request.path}; use {allowed}"
    return exc.reason


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every HTTP error into a short JSON message with the same 4xx status."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return web.json_response({"error": _error_message(request, exc)}, status=exc.status)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    # Older browsers ignore CSP frame-ancestors; no page here may be framed by another site.
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")


def create_app(settings: Settings) -> web.Application:
    assets = load_assets()
    widget = assets["/widget.js"]
    assets["/widget.js"] = Asset(widget_config(settings.conf) + widget.body, widget.content_type)
    entries = build_faq()
    document = faq_document(entries)
    attrs = {"rasa_url": html.escape(settings.rasa_url, quote=True)}
    index_html = render_page("index.html", **attrs)
    faq_html = render_page("faq.html", **attrs, json_ld=script_safe_json(json_ld(entries)))

    def page(body: str) -> Handler:
        # Both pages carry the chat widget: no other site may frame them (clickjacking).
        headers = {"Content-Security-Policy": content_security_policy(settings.rasa_url)}

        async def handler(_: web.Request) -> web.Response:
            return web.Response(text=body, content_type="text/html", headers=headers)

        return handler

    def asset(item: Asset) -> Handler:
        async def handler(_: web.Request) -> web.Response:
            return web.Response(
                body=item.body,
                content_type=item.content_type,
                charset="utf-8",
                headers={"Cache-Control": ASSET_CACHE_CONTROL},
            )

        return handler

    async def faq_json(_: web.Request) -> web.Response:
        # Public data, fetched by the embed from the Help Center's own origin.
        return web.json_response(document, headers={"Access-Control-Allow-Origin": "*"})

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "faq_entries": len(entries)})

    app = web.Application(middlewares=[error_middleware])
    app.on_response_prepare.append(_security_headers)  # type: ignore[arg-type]  # aiohttp's Signal typing
    app.router.add_get("/", page(index_html))
    # The Help Center embeds the FAQ with /faq-embed.js (docs/channels.md), not by framing /faq.
    app.router.add_get("/faq", page(faq_html))
    app.router.add_get("/faq.json", faq_json)
    app.router.add_get("/health", health)
    for route, item in assets.items():
        app.router.add_get(route, asset(item))
    add_claim_routes(app, settings.conf, TEMPLATES_DIR)
    log.info("web app ready: %d FAQ entries, Rasa at %s", len(entries), settings.rasa_url)
    return app
