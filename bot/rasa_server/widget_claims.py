"""The widget's side of the claims center, on the Rasa server (docs/claims.md, "In the channels").

- ``POST /webhooks/socketio/document``: one file, the raw request body, from the
  widget's "Attach a document" button. The widget's signed session token
  (``Authorization: Bearer``) names the conversation; the document goes to the
  open claim of the contract that conversation verified (its proof, read from
  the stored tracker). The file name comes percent-encoded in
  ``X-Document-Name``; it is only ever shown, never used to store the file.
- ``POST /webhooks/socketio/claim_update``: the claims worker pushes a status
  update (``WIDGET_PUSH_URL``, ``Authorization: Bearer`` the push token:
  WIDGET_PUSH_TOKEN, else derived from ASSISTANT_SECRET_KEY);
  it is emitted to the conversation's room, ``{"delivered": true}`` when a
  widget is connected there (on this replica), else the update waits for
  ``take_widget_updates`` at the next visit.
- ``updates_for``: those waiting updates, for a conversation that reconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.claims.intake import STATUS_BY_OUTCOME, IntakeResult, Outcome, Upload, intake_for_contract
from bot.claims.widget import PUSH_ROUTE, push_token, take_widget_updates
from bot.content.messages import render
from bot.rasa_server.bodies import BodyTooLarge, read_capped
from bot.rasa_server.scrape import bearer, holds_token
from bot.rasa_server.senders import conversation_id
from bot.rasa_server.verified import verified_contract_of
from bot.settings import settings

log = logging.getLogger(__name__)

CHANNEL = "socketio"
MAX_NAME_CHARS = 1_000  # percent-encoded; the stored name is shortened further (bot/claims/documents.py)
MAX_PUSH_BYTES = 16_384


def _answer(result: IntakeResult) -> HTTPResponse:
    return response.json(
        {"outcome": result.outcome.value, "text": result.reply()}, status=STATUS_BY_OUTCOME[result.outcome]
    )


async def updates_for(conversation: str) -> list[str]:
    """The claim updates waiting for a reconnecting widget conversation; none if they can't be read now."""
    try:
        return await asyncio.to_thread(take_widget_updates, conversation)
    except Exception:  # the database is down: they wait for the next visit
        log.exception("claim updates for a widget conversation could not be read")
        return []


def add_claim_routes(
    bp: Blueprint,
    sio: Any,
    namespace: str | None,
    bot_message_evt: str,
    session_of: Callable[[object], str | None],
) -> None:
    """Add the document upload and the update push to the socket.io channel's blueprint."""

    @bp.route("/document", methods=["POST"], stream=True)
    async def document(request: Request) -> HTTPResponse:
        session = session_of(bearer(request))
        if session is None:
            return response.json(
                {"outcome": "session_required", "text": render("session_required")["text"]}, status=401
            )
        conversation = conversation_id(CHANNEL, session)
        try:
            data = await read_capped(request, settings().claims_max_file_bytes)
        except BodyTooLarge:
            return _answer(IntakeResult(Outcome.TOO_BIG))
        name = unquote(request.headers.get("x-document-name", "")[:MAX_NAME_CHARS]) or None
        try:
            contract = await verified_contract_of(request.app.ctx.agent, conversation)
        except Exception:  # the tracker store is down: a clear "try later", never a 5xx
            log.exception("widget document: the conversation could not be read")
            return _answer(IntakeResult(Outcome.UNAVAILABLE))
        result = await asyncio.to_thread(intake_for_contract, contract, Upload(data, name, CHANNEL))
        log.info("widget document: %s", result.outcome.value)
        return _answer(result)

    @bp.route(PUSH_ROUTE, methods=["POST"], stream=True)
    async def claim_update(request: Request) -> HTTPResponse:
        if not holds_token(request, push_token(settings())):
            return response.json({"error": "send Authorization: Bearer <WIDGET_PUSH_TOKEN>"}, status=401)
        try:
            update = json.loads(await read_capped(request, MAX_PUSH_BYTES))
        except (BodyTooLarge, ValueError):
            return response.json({"error": "expected a small JSON object"}, status=400)
        conversation = update.get("conversation_id") if isinstance(update, dict) else None
        text = update.get("text") if isinstance(update, dict) else None
        if not isinstance(conversation, str) or not isinstance(text, str) or not text:
            return response.json({"error": "expected conversation_id and text"}, status=400)
        room = namespace or "/"
        connected = next(iter(sio.manager.get_participants(room, conversation)), None) is not None
        if connected:
            await sio.emit(bot_message_evt, {"text": text}, room=conversation, namespace=namespace)
        return response.json({"delivered": connected})
