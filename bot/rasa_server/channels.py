"""The REST and socket.io channels, hardened: inputs checked, senders bound, replies guaranteed.

Registered in credentials.yml in place of Rasa's own `rest` and `socketio`
(same names, so the URLs are unchanged). Conversation ids carry their
channel (bot/rasa_server/senders.py). A socket.io conversation belongs to
whoever holds the signed session token the server issued for it: knowing the
conversation id is not enough to join it or to write into it, and a socket
only ever writes to the session it requested.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from engineio import AsyncServer as EngineIOServer
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.content.messages import render
from bot.domain import signed
from bot.domain.keys import Purpose, derive
from bot.rasa_server import process as rasa_process
from bot.rasa_server.bodies import BodyTooLarge, read_capped
from bot.rasa_server.endings import end_conversation
from bot.rasa_server.guard import handle_safely
from bot.rasa_server.idempotency import DELIVERY_ID, delivery_message_id
from bot.rasa_server.senders import client_metadata, conversation_id, request_ip
from bot.rasa_server.widget_claims import add_claim_routes, updates_for
from bot.settings import settings

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2_000
MAX_BODY_BYTES = 16_384
# A REST sender id is the client's own, and whoever knows it can continue that
# conversation over REST: it must be unguessable (8+ characters is a floor).
SENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{7,127}$")
# Engine.io session ids issued by a named replica start with "<name>." (deploy/nginx/).
SESSION_ID_SEPARATOR = "."
# A widget keeps its session token this long; then it starts a new conversation.
SESSION_TOKEN_MAX_AGE_SECONDS = 30 * 24 * 3600


class BadRequest(Exception):
    """A request we answer with a 4xx and a clear message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def clean_text(value: Any) -> str:
    """A customer's message as text, or BadRequest."""
    if not isinstance(value, str):
        raise BadRequest(400, "'message' must be a string.")
    text = value.replace("\x00", "").strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(413, f"'message' is too long (at most {MAX_MESSAGE_CHARS} characters).")
    return text


def parse_rest_body(body: bytes) -> dict[str, str]:
    """Validate a REST webhook body; returns sender and message."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(413, f"Request body too large (at most {MAX_BODY_BYTES} bytes).")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(
            400, 'Send JSON like {"sender": "<conversation id>", "message": "<text>"}.'
        ) from None
    if not isinstance(data, dict):
        raise BadRequest(400, 'Send a JSON object like {"sender": "...", "message": "..."}.')
    sender = data.get("sender")
    if not isinstance(sender, str) or not SENDER_ID.match(sender):
        raise BadRequest(400, "'sender' must be 8-128 letters, digits or _.:@- characters.")
    return {"sender": sender, "message": clean_text(data.get("message"))}


class SafeRestInput(RestInput):
    """POST /webhooks/rest/webhook, never a 5xx or an empty reply."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("safe_rest_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            try:
                data = parse_rest_body(await read_capped(request, MAX_BODY_BYTES))
            except BodyTooLarge:
                return response.json(
                    {"error": f"Request body too large (at most {MAX_BODY_BYTES} bytes)."}, status=413
                )
            except BadRequest as bad:
                return response.json({"error": bad.message}, status=bad.status)
            collector = CollectingOutputChannel()
            if not data["message"]:
                await collector.send_text_message(data["sender"], render("invalid_request")["text"])
                return response.json(collector.messages)
            message = UserMessage(
                data["message"],
                collector,
                conversation_id(self.name(), data["sender"]),
                input_channel=self.name(),
                # nginx's $request_id (deploy/nginx/), kept when it sends the request on
                # to another replica because the first died: a turn stored there is answered, not rerun.
                message_id=delivery_message_id(self.name(), request.headers.get("X-Request-ID")),
                metadata=client_metadata("ip", request_ip(request)),
            )
            await handle_safely(on_new_message, message)
            # The client knows its conversation by the id it sent, not by the channel-bound one.
            return response.json([{**m, "recipient_id": data["sender"]} for m in collector.messages])

        return rasa_process.prepare(bp)


def tag_session_ids(server: EngineIOServer, replica: str) -> None:
    """Start every engine.io session id ``server`` issues with ``replica``'s name.

    Engine.io's HTTP long-polling sends each session's requests separately, and
    only the process that issued the id knows the session: the load balancer
    reads the name from the ``sid`` query parameter and routes the request back
    to its replica (docs/deployment.md, "Load balancer").
    """
    generate = server.generate_id
    server.generate_id = lambda: f"{replica}{SESSION_ID_SEPARATOR}{generate()}"


class HeldOutputChannel(OutputChannel):
    """Holds a turn's messages until ``release()`` (the turn is stored), then passes them on.

    Rasa sends each message as soon as it is produced and stores the turn
    after the last one: a replica that dies in between has answered a turn
    that is not stored, and a client that has its answer never sends it
    again. Held, an answer reaches only a customer whose turn is stored; a
    turn lost with its replica gets none, so the client can send it again. The
    REST channel answers after storing anyway. When the guard answers first
    (MESSAGE_TIMEOUT_SECONDS), its notice is released with what was held, and
    the rest of the turn follows as it comes.
    """

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self._held: list[tuple[str, dict[str, Any]]] | None = []

    def name(self) -> str:  # response variations are chosen by the real channel's name
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        if self._held is None:
            await self.inner.send_response(recipient_id, message)
        else:
            self._held.append((recipient_id, message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})

    async def release(self) -> None:
        held, self._held = self._held or [], None
        for recipient_id, message in held:
            await self.inner.send_response(recipient_id, message)


def client_message_id(value: Any) -> str | None:
    """The widget's own id for a message (a UUID), or None when the client sent none.

    Older widgets and plain socket.io clients send none: their messages are
    handled as before, without duplicate detection. An id that is sent must be
    usable (letters, digits, ``._-``, at most 100), else BadRequest.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not DELIVERY_ID.match(value):
        raise BadRequest(400, "'message_id' must be 1-100 letters, digits or ._- characters.")
    return value


def received(client_id: str | None) -> dict[str, Any]:
    """The acknowledgement of a handled message (socket.io ack payload)."""
    return {"ok": True, "message_id": client_id}


def refused(reason: str) -> dict[str, Any]:
    """The acknowledgement of a message that will never be handled: the widget stops resending it."""
    return {"ok": False, "error": reason}


class ReplyOutput(SocketIOOutput):
    """Rasa's socket.io output, each message tagged with the client message id it answers.

    ``reply_to`` and ``reply_index`` (its place in the answer) let the widget
    take a reply as proof its message arrived, and skip the replies it
    already shows when a resent message is answered again from its stored turn.
    """

    def __init__(self, sio: Any, bot_message_evt: str, reply_to: str | None) -> None:
        super().__init__(sio, bot_message_evt)
        self.reply_to = reply_to
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if self.reply_to is not None and isinstance(response, dict):
            response = {**response, "reply_to": self.reply_to, "reply_index": self.sent}
        self.sent += 1
        await super()._send_message(socket_id, response)


class SessionTokens:
    """Signed widget session tokens: the token is the credential, the conversation id is inside."""

    def __init__(self, secret: str) -> None:
        self.key = derive(secret, Purpose.WIDGET_SESSION)

    def issue(self) -> tuple[str, str]:
        """A new session: (session id, token)."""
        session = uuid.uuid4().hex
        return session, signed.dumps(self.key, session)

    def session_of(self, token: object) -> str | None:
        session = signed.loads(self.key, token, SESSION_TOKEN_MAX_AGE_SECONDS)
        return session if isinstance(session, str) else None


async def _settled(result: Any) -> None:
    """python-socketio 5.10+ made enter_room and leave_room coroutines (rasa issue 13027)."""
    if inspect.isawaitable(result):
        await result


class SafeSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with signed sessions, origin and input checks, and the guard."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        origins = settings().cors_origins_configured  # unset: socket.io's own default
        if origins:
            sio.eio.cors_allowed_origins = list(origins)
        replica = settings().replica_name
        if replica:
            tag_session_ids(sio.eio, replica)
        tokens = SessionTokens(settings().secret_key)
        namespace = self.namespace
        add_claim_routes(bp, sio, namespace, self.bot_message_evt, tokens.session_of)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            """Continue the session a valid token names, else start a new one; confirm with its token."""
            token = data.get("session_id") if isinstance(data, dict) else None
            session = tokens.session_of(token)
            continued = session is not None
            if session is None:
                session, token = tokens.issue()
            conversation = conversation_id(self.name(), session)
            async with sio.session(sid, namespace=namespace) as state:
                previous = state.get("conversation")
                if previous and previous != conversation:
                    await _settled(sio.leave_room(sid, previous, namespace=namespace))
                environ = sio.get_environ(sid, namespace=namespace) or {}
                request = environ.get("sanic.request")
                state.update(
                    conversation=conversation,
                    token=token,
                    client=client_metadata("ip", request_ip(request) if request else "unknown"),
                )
            await _settled(sio.enter_room(sid, conversation, namespace=namespace))
            await sio.emit("session_confirm", token, room=sid, namespace=namespace)
            if continued:  # claim updates that came while the customer was away, each shown once
                for text in await updates_for(conversation):
                    await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> dict[str, Any]:
            """Answer one widget message; the return value is the socket.io acknowledgement.

            It is sent once the turn is stored and its replies released (or the
            guard answered for it): a message lost with its replica before that
            is never acknowledged, so the widget sends it again with the same id
            and the idempotency layer answers it once (docs/channels.md).
            """
            state = await sio.get_session(sid, namespace=namespace)
            conversation = state.get("conversation")
            fields = data if isinstance(data, dict) else {}
            claimed = fields.get("session_id")
            if conversation is None or (claimed is not None and claimed != state["token"]):
                # The widget always requests a session first, and claims only its own.
                if conversation is not None:
                    log.warning("socket.io message for another session refused")
                await sio.emit(self.bot_message_evt, {"text": render("session_required")["text"]}, room=sid)
                return refused("session_required")
            try:
                client_id = client_message_id(fields.get("message_id"))
                text = clean_text(fields.get("message", "") if isinstance(data, dict) else None)
            except BadRequest as bad:
                await SocketIOOutput(sio, self.bot_message_evt).send_text_message(conversation, bad.message)
                return refused(bad.message)
            output = ReplyOutput(sio, self.bot_message_evt, client_id)
            if not text:
                await output.send_text_message(conversation, render("invalid_request")["text"])
                return received(client_id)
            held = HeldOutputChannel(output)
            message = UserMessage(
                text,
                held,
                conversation,
                input_channel=self.name(),
                message_id=delivery_message_id(self.name(), client_id),
                metadata=state["client"],
            )
            try:
                turn = await handle_safely(on_new_message, message)
            finally:
                await held.release()
            if turn is not None:
                # After the guard's notice the turn may still be running: acknowledged only
                # once it is stored, so a turn lost with its replica is sent again.
                with contextlib.suppress(Exception):
                    await turn
            return received(client_id)

        @sio.on("session_end", namespace=namespace)
        async def session_end(sid: str, _: Any = None) -> dict[str, Any]:
            """End chat: the conversation restarts (its verification gone) and this socket leaves it."""
            async with sio.session(sid, namespace=namespace) as state:
                conversation = state.pop("conversation", None)
                state.pop("token", None)
            if conversation is None:
                return received(None)
            await _settled(sio.leave_room(sid, conversation, namespace=namespace))
            environ = sio.get_environ(sid, namespace=namespace) or {}
            request = environ.get("sanic.request")
            if request is not None:
                await end_conversation(request.app.ctx.agent, conversation)
            return received(None)

        return rasa_process.prepare(bp)
