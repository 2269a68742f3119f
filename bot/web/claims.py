"""The claims center's HTTP endpoints in the web app (docs/claims.md).

- ``GET /claims/upload/{token}``: the upload page of the claim a signed link
  names (bot/claims/links.py); a plain HTML form, no script, usable with a
  keyboard and a screen reader.
- ``POST /claims/upload/{token}``: one document, multipart; the size cap is
  enforced while the body streams in, then bot/claims/intake.py decides. The
  answer is the page again with the outcome (or JSON for ``Accept:
  application/json``), with a 4xx status for every refusal.
- ``POST /webhooks/twilio/status``: Twilio's message status callback, signed
  with TWILIO_AUTH_TOKEN over WEB_PUBLIC_URL + path; records delivered/failed.

No request gets a 5xx: a failure behind these routes is answered with a clear 4xx.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from string import Template
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from bot.claims.intake import STATUS_BY_OUTCOME, IntakeResult, Outcome, Upload, intake_with_link, size_text
from bot.claims.links import LinkProblem, LinkRefused, verify_upload_token
from bot.claims.worker import STATUS_CALLBACK_PATH
from bot.content.messages import claims_text
from bot.data.claims import get_claim_record, utc_now
from bot.data.outbox import record_delivery_status
from bot.settings import Settings
from bot.sms.security import signature_valid

log = logging.getLogger(__name__)

UPLOAD_ROUTE = "/claims/upload/{token}"
FIELD = "document"
ACCEPT = ".pdf,.jpg,.jpeg,.png,.heic,application/pdf,image/jpeg,image/png,image/heic"
# Room for the multipart framing and a few small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024
MAX_PARTS = 5
CHUNK = 64 * 1024
MAX_CALLBACK_BYTES = 16 * 1024
MAX_CALLBACK_FIELDS = 200
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# The upload page loads nothing but the stylesheet; its URL holds the token,
# so it is never cached, framed, or sent on as a referrer.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none';"
    " base-uri 'none'; form-action 'self'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}

_LINK_OUTCOMES = {
    LinkProblem.EXPIRED: Outcome.LINK_EXPIRED,
    LinkProblem.INVALID: Outcome.LINK_INVALID,
    LinkProblem.OFF: Outcome.UNAVAILABLE,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_claim_routes(app: web.Application, conf: Settings, templates: Path) -> None:
    """Register the claims center's routes; ``templates`` is the folder holding upload.html."""
    page = Template((templates / "upload.html").read_text(encoding="utf-8"))

    def variables(reference: str = "") -> dict[str, str]:
        return {
            "claim_reference": reference,
            "max_file_size": size_text(conf.claims_max_file_bytes),
            "max_files": str(conf.claims_max_files),
        }

    def render(reference: str | None, result: IntakeResult | None, show_form: bool) -> str:
        values = variables(reference or "")
        title = (
            claims_text("upload_title", **values)
            if reference
            else claims_text("upload_title", claim_reference="")
        )
        message = ""
        if result is not None:
            role = "status" if result.accepted or result.outcome is Outcome.DUPLICATE else "alert"
            message = (
                f'<p role="{role}" class="upload-result">{html.escape(result.reply(conf), quote=False)}</p>'
            )
        form = ""
        if show_form:
            form = (
                f'<form method="post" enctype="multipart/form-data">'
                f'<p id="limits">{html.escape(claims_text("upload_intro", **values), quote=False)}</p>'
                f'<p><label for="{FIELD}">{html.escape(claims_text("upload_label"), quote=False)}</label><br>'
                f'<input id="{FIELD}" name="{FIELD}" type="file" accept="{ACCEPT}" required'
                f' aria-describedby="limits"></p>'
                f'<p><button type="submit">'
                f"{html.escape(claims_text('upload_another' if result and result.accepted else 'upload_button'), quote=False)}"
                f"</button></p></form>"
            )
        return page.substitute(
            title=html.escape(title.rstrip(), quote=False),
            result=message,
            form=form,
            help=html.escape(claims_text("upload_help"), quote=False),
        )

    def answer(
        request: web.Request, reference: str | None, result: IntakeResult, show_form: bool
    ) -> web.Response:
        response: web.Response
        status = 200 if result.accepted and request.method == "GET" else STATUS_BY_OUTCOME[result.outcome]
        if _wants_json(request):
            body: dict[str, object] = {
                "outcome": result.outcome.value,
                "message": result.reply(conf),
                "claim": reference,
            }
            if result.document is not None:
                body["document"] = {
                    "filename": result.document.filename,
                    "content_type": result.document.content_type,
                    "size": result.document.size,
                    "review_due": result.document.review_due.isoformat(),
                }
            response = web.json_response(body, status=status, headers={"Cache-Control": "no-store"})
        else:
            response = web.Response(
                text=render(reference, result, show_form),
                status=status,
                content_type="text/html",
                headers=PAGE_HEADERS,
            )
        if result.outcome is Outcome.TOO_BIG:
            response.force_close()  # part of the body may still be unread
        return response

    async def claim_for(token: str) -> tuple[str | None, IntakeResult | None]:
        """The token's claim reference, or the refusal to show instead."""
        try:
            reference = verify_upload_token(token, conf)
        except LinkRefused as refused:
            return None, IntakeResult(_LINK_OUTCOMES[refused.problem])
        record = await asyncio.to_thread(get_claim_record, reference)
        if record is None:
            return None, IntakeResult(Outcome.NO_OPEN_CLAIM)
        if record.final:
            return reference, IntakeResult(Outcome.CLAIM_CLOSED, reference)
        return reference, None

    async def upload_page(request: web.Request) -> web.Response:
        try:
            reference, refusal = await claim_for(request.match_info["token"])
        except Exception:
            log.exception("upload page failed")
            return answer(request, None, IntakeResult(Outcome.UNAVAILABLE), False)
        if refusal is not None:
            return answer(request, reference, refusal, False)
        if _wants_json(request):
            return web.json_response({"claim": reference, "max_file_bytes": conf.claims_max_file_bytes})
        return web.Response(
            text=render(reference, None, True), content_type="text/html", headers=PAGE_HEADERS
        )

    async def upload(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            reference, refusal = await claim_for(token)
            if refusal is not None:
                return answer(request, reference, refusal, False)
            received = await _read_document(request, conf.claims_max_file_bytes)
            if isinstance(received, Outcome):
                return answer(request, reference, IntakeResult(received, reference), True)
            data, filename = received
            result = await asyncio.to_thread(
                intake_with_link, token, Upload(data, filename, "upload_link"), conf=conf
            )
        except Exception:
            log.exception("document upload failed")
            return answer(request, None, IntakeResult(Outcome.UNAVAILABLE), False)
        return answer(
            request, result.claim_reference or reference, result, result.outcome is not Outcome.CLAIM_CLOSED
        )

    async def status_callback(request: web.Request) -> web.Response:
        if not conf.twilio_auth_token:
            return _plain(403, "status callbacks are not configured (TWILIO_AUTH_TOKEN)")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            return _plain(403, "missing X-Twilio-Signature header")
        if request.content_type != FORM_CONTENT_TYPE:
            return _plain(415, f"expected {FORM_CONTENT_TYPE}")
        if (request.content_length or 0) > MAX_CALLBACK_BYTES:
            return _plain(413, "body too large")
        try:
            raw = await request.content.read(MAX_CALLBACK_BYTES + 1)
            if len(raw) > MAX_CALLBACK_BYTES:
                return _plain(413, "body too large")
            fields = parse_qsl(
                raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_CALLBACK_FIELDS
            )
        except (UnicodeDecodeError, ValueError):
            return _plain(400, "body is not UTF-8 form data of a reasonable size")
        url = conf.web_public_url + STATUS_CALLBACK_PATH
        if not signature_valid(conf.twilio_auth_token, url, fields, signature):
            return _plain(403, "invalid X-Twilio-Signature")
        form = dict(fields)
        sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
        if not sid or not status:
            return _plain(400, "missing MessageSid or MessageStatus")
        try:
            recorded = await asyncio.to_thread(
                record_delivery_status, sid, status, form.get("ErrorCode") or None, utc_now()
            )
        except Exception:
            log.exception("a Twilio status callback could not be recorded")
            return _plain(409, "could not record the status now; try again")
        return web.json_response({"recorded": recorded})

    app.router.add_get(UPLOAD_ROUTE, upload_page)
    app.router.add_post(UPLOAD_ROUTE, upload)
    app.router.add_post(STATUS_CALLBACK_PATH, status_callback)


def _plain(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


async def _drain(request: web.Request, limit: int) -> None:
    """Read and drop the rest of an oversized body (up to another ``limit``), so the
    client, still sending, can read the 413; past that the connection is closed."""
    dropped = 0
    while dropped <= limit and (chunk := await request.content.readany()):
        dropped += len(chunk)


async def _read_document(request: web.Request, limit: int) -> tuple[bytes, str | None] | Outcome:
    """The file field of a multipart upload, read in chunks and refused as soon as it passes ``limit``."""
    if not request.content_type.startswith("multipart/form-data"):
        return Outcome.NO_FILE
    if request.content_length is not None and request.content_length > limit + MULTIPART_OVERHEAD:
        return Outcome.TOO_BIG
    try:
        reader = await request.multipart()
        for _ in range(MAX_PARTS):
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader) or part.name != FIELD:
                if isinstance(part, BodyPartReader):
                    await part.release()
                continue
            data = bytearray()
            while chunk := await part.read_chunk(CHUNK):
                data += chunk
                if len(data) > limit:
                    await _drain(request, limit)
                    return Outcome.TOO_BIG
            return bytes(data), part.filename
    except (ValueError, AssertionError, asyncio.IncompleteReadError, UnicodeDecodeError):
        return Outcome.NO_FILE
    return Outcome.NO_FILE
