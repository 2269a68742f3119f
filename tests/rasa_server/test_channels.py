"""Input checks and the reply guarantee of the hardened channels."""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any

import engineio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.content.contacts import contacts
from bot.rasa_server import guard
from bot.rasa_server.bodies import BodyTooLarge, read_capped
from bot.rasa_server.channels import (
    BadRequest,
    HeldOutputChannel,
    ReplyOutput,
    SessionTokens,
    client_message_id,
    parse_rest_body,
    tag_session_ids,
)
from bot.rasa_server.endings import end_conversation
from bot.rasa_server.guard import RateLimiter, handle_safely
from bot.rasa_server.senders import conversation_id


def test_valid_body() -> None:
    assert parse_rest_body(b'{"sender": "abc-12345", "message": " hi "}') == {
        "sender": "abc-12345",
        "message": "hi",
    }


@pytest.mark.parametrize(
    "body,status",
    [
        (b"", 400),
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b'{"sender": "x", "message": "hi"}', 400),  # guessable id
        (b'{"sender": "abc-12345", "message": 42}', 400),
        (b'{"sender": "abc-12345"}', 400),
        (b"\xff\xfe\x00", 400),
        (json.dumps({"sender": "abc-12345", "message": "a" * 3000}).encode(), 413),
        (b"{" + b" " * 20000 + b"}", 413),
    ],
)
def test_bad_bodies_are_clear_4xx(body: bytes, status: int) -> None:
    with pytest.raises(BadRequest) as err:
        parse_rest_body(body)
    assert err.value.status == status and err.value.message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_are_accepted_or_refused_cleanly(body: bytes) -> None:
    try:
        parsed = parse_rest_body(body)
    except BadRequest as bad:
        assert 400 <= bad.status < 500
    else:
        assert isinstance(parsed["message"], str)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=10),
        st.one_of(st.none(), st.integers(), st.text(max_size=50), st.lists(st.integers())),
        max_size=5,
    )
)
def test_any_json_object_is_accepted_or_refused_cleanly(data: dict) -> None:
    try:
        parse_rest_body(json.dumps(data).encode())
    except BadRequest as bad:
        assert 400 <= bad.status < 500


def test_rate_limiter_window() -> None:
    limiter = RateLimiter(limit=3, window_seconds=10)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("b", now=3)
    assert limiter.allow("a", now=10.5)


def test_rate_limiter_is_bounded() -> None:
    limiter = RateLimiter(limit=1, window_seconds=60, max_senders=10)
    for i in range(100):
        limiter.allow(f"s{i}", now=0)
    assert len(limiter._hits) == 10


def run_guard(handler) -> list[str]:
    collector = CollectingOutputChannel()
    message = UserMessage("hello", collector, "sender-1234", input_channel="rest")
    asyncio.run(handle_safely(handler, message))
    return [m["text"] for m in collector.messages]


def test_silence_becomes_a_useful_reply() -> None:
    async def silent(_: UserMessage) -> None:
        return None

    replies = run_guard(silent)
    assert (
        len(replies) == 1
        and contacts()["gap_phone"] in replies[0]
        and contacts()["roadside_phone"] in replies[0]
    )


def test_an_exception_becomes_a_useful_reply() -> None:
    async def broken(_: UserMessage) -> None:
        raise RuntimeError("tracker store down")

    assert contacts()["cancel_phone"] in run_guard(broken)[0]


def test_a_logged_action_failure_adds_the_notice_after_the_partial_answer() -> None:
    guard.install_failure_watch()

    async def partial(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "general answer")
        logging.getLogger("rasa.core.processor").error("Encountered an exception while running action")

    replies = run_guard(partial)
    assert replies[0] == "general answer" and contacts()["gap_phone"] in replies[1]


def test_a_slow_turn_is_answered_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "MESSAGE_TIMEOUT_SECONDS", 0.2)

    async def slow(message: UserMessage) -> None:
        await asyncio.sleep(5)

    replies = run_guard(slow)
    assert contacts()["gap_phone"] in replies[0]


def test_after_the_notice_the_slow_turn_is_returned_still_running(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the socket.io channel waits for before acknowledging: the turn, not the notice."""
    monkeypatch.setattr(guard, "MESSAGE_TIMEOUT_SECONDS", 0.2)
    stored: list[str] = []

    async def slow(message: UserMessage) -> None:
        await asyncio.sleep(0.5)
        stored.append(message.text or "")

    async def main() -> list[str]:
        out = CollectingOutputChannel()
        turn = await guard.handle_safely(slow, UserMessage("hi", out, "rest:slow-sender"))
        assert turn is not None and not turn.done() and stored == []
        assert contacts()["gap_phone"] in out.messages[0]["text"]  # the customer was told at once
        await turn
        return stored

    assert asyncio.run(main()) == ["hi"]


def test_normal_turn_is_untouched() -> None:
    async def ok(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "answer")

    assert run_guard(ok) == ["answer"]


def test_rate_limited_sender_is_told_to_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "RATE_LIMITER", RateLimiter(limit=1, window_seconds=60))

    async def ok(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "answer")

    assert run_guard(ok) == ["answer"]
    assert "faster than I can answer" in run_guard(ok)[0]


# --- socket.io behind a load balancer ------------------------------------------------------


def test_a_named_replica_starts_every_engineio_session_id_with_its_name() -> None:
    server = engineio.AsyncServer(async_mode="asgi")
    tag_session_ids(server, "r2")
    ids = {server.generate_id() for _ in range(50)}
    assert len(ids) == 50 and all(i.startswith("r2.") and len(i) > 10 for i in ids)


def test_a_socketio_turn_is_answered_only_once_it_is_stored() -> None:
    inner = CollectingOutputChannel()
    held = HeldOutputChannel(inner)

    async def turn() -> None:
        await held.send_response("s1", {"text": "first", "buttons": [{"title": "Yes", "payload": "/affirm"}]})
        await held.send_text_message("s1", "second")
        assert inner.messages == []  # nothing leaves before the turn is stored
        await held.release()
        await held.send_text_message("s1", "late")  # after the guard answered: as it comes

    asyncio.run(turn())
    assert [m["text"] for m in inner.messages] == ["first", "second", "late"]
    assert inner.messages[0]["buttons"] == [{"title": "Yes", "payload": "/affirm"}]
    assert held.name() == inner.name()  # responses keep their channel variants


def test_session_tokens_are_issued_by_the_server_and_name_their_session() -> None:
    tokens = SessionTokens("a secret")
    session, token = tokens.issue()
    assert tokens.session_of(token) == session and session not in ("", token)
    assert SessionTokens("another secret").session_of(token) is None
    # Knowing a session id is not enough: it is not a token.
    for guess in (session, "socketio:" + session, None, 42, token[:-2] + "xx"):
        assert tokens.session_of(guess) is None


def test_conversation_ids_carry_their_channel() -> None:
    assert conversation_id("rest", "abc-12345") == "rest:abc-12345"
    assert conversation_id("rest", "socketio:abc") != conversation_id("socketio", "abc")


class FakeStream:
    """Sanic's request stream: chunks, then None; remembers the cap it was given."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.request_max_size = float("inf")
        self.reads = 0

    async def read(self) -> bytes | None:
        self.reads += 1
        return self.chunks.pop(0) if self.chunks else None


class FakeRequest:
    def __init__(self, chunks: list[bytes], declared: int | None = None) -> None:
        self.headers = {} if declared is None else {"content-length": str(declared)}
        self.stream = FakeStream(chunks)
        self.body = b""


def test_a_body_is_read_up_to_the_cap() -> None:
    request = FakeRequest([b"a" * 10, b"b" * 10], declared=20)
    assert asyncio.run(read_capped(request, 64)) == b"a" * 10 + b"b" * 10
    assert request.stream.request_max_size == 64  # Sanic drains nothing past it either


def test_a_declared_length_over_the_cap_is_refused_unread() -> None:
    request = FakeRequest([b"a" * 10], declared=90 << 20)
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_capped(request, 64))
    assert request.stream.reads == 0


def test_an_undeclared_body_is_cut_off_at_the_cap() -> None:
    request = FakeRequest([b"a" * 40] * 1000)  # chunked: no length
    with pytest.raises(BodyTooLarge):
        asyncio.run(read_capped(request, 64))
    assert request.stream.reads == 2


# --- the widget's client message ids, acknowledgements and End chat ------------------------


@pytest.mark.parametrize("value", ["0b7f3c9e-5d7a-4c1e-9a57-2f0b8a1c6d4e", "abc", "a.b_c-d"])
def test_a_client_message_id_is_taken_as_sent(value: str) -> None:
    assert client_message_id(value) == value


def test_no_client_message_id_is_a_message_without_one() -> None:
    assert client_message_id(None) is None  # older widgets, plain socket.io clients


@pytest.mark.parametrize("value", ["", "has space", "x" * 101, 42, ["id"], "socketio:abc", "a/b"])
def test_an_unusable_client_message_id_is_refused(value: object) -> None:
    with pytest.raises(BadRequest) as err:
        client_message_id(value)
    assert err.value.status == 400 and "message_id" in err.value.message


class FakeSio:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str]] = []

    async def emit(self, event: str, data: Any, room: str) -> None:
        self.emitted.append((event, data, room))


def test_replies_name_the_message_they_answer_and_their_place() -> None:
    sio = FakeSio()

    async def answer() -> None:
        tagged = ReplyOutput(sio, "bot_uttered", "m-1")
        await tagged.send_text_message("socketio:s", "first\n\nsecond")  # Rasa splits on blank lines
        await tagged.send_text_with_buttons("socketio:s", "pick", [{"title": "Yes", "payload": "/affirm"}])
        await ReplyOutput(sio, "bot_uttered", None).send_text_message("socketio:s", "untagged")

    asyncio.run(answer())
    assert [(d.get("text"), d.get("reply_to"), d.get("reply_index")) for _, d, _ in sio.emitted] == [
        ("first", "m-1", 0),
        ("second", "m-1", 1),
        ("pick", "m-1", 2),
        ("untagged", None, None),
    ]
    assert sio.emitted[2][1]["quick_replies"][0]["payload"] == "/affirm"
    assert {room for _, _, room in sio.emitted} == {"socketio:s"}


def test_ending_a_conversation_forgets_its_verification() -> None:
    domain = Domain.from_yaml(
        """
version: "3.1"
slots:
  verified:
    type: bool
    initial_value: false
    mappings: [{type: custom}]
  verification:
    type: any
    mappings: [{type: custom}]
"""
    )
    agent = SimpleNamespace(tracker_store=InMemoryTrackerStore(domain), lock_store=InMemoryLockStore())
    tracker = DialogueStateTracker.from_events(
        "socketio:s1",
        [
            UserUttered("hi", message_id="socketio:m-1"),
            SlotSet("verified", True),
            SlotSet("verification", "p"),
        ],
        domain.slots,
    )

    async def end() -> tuple[bool, bool, DialogueStateTracker | None]:
        await agent.tracker_store.save(tracker)
        ended = await end_conversation(agent, "socketio:s1")
        unknown = await end_conversation(agent, "socketio:nobody")
        return ended, unknown, await agent.tracker_store.retrieve("socketio:s1")

    ended, unknown, stored = asyncio.run(end())
    assert ended and not unknown and stored is not None
    assert stored.get_slot("verified") is False and stored.get_slot("verification") is None
    assert any(isinstance(e, UserUttered) for e in stored.events)  # nothing deleted
