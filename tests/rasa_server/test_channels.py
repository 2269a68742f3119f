"""Input checks and the reply guarantee of the hardened channels."""

from __future__ import annotations

import asyncio
import json
import logging

import engineio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.content.contacts import contacts
from bot.rasa_server import guard
from bot.rasa_server.channels import (
    BadRequest,
    HeldOutputChannel,
    answer_closed_sessions,
    delivery_id,
    parse_rest_body,
    tag_session_ids,
)
from bot.rasa_server.guard import RateLimiter, handle_safely


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


def test_a_request_for_a_session_closed_meanwhile_gets_a_400_not_a_500() -> None:
    class Server:
        def __init__(self, error: Exception | None) -> None:
            self.error = error

        async def handle_request(self, request: str) -> str:
            if self.error:
                raise self.error
            return f"answered {request}"

    closed = Server(KeyError("Session is disconnected"))
    answer_closed_sessions(closed)  # type: ignore[arg-type]
    reply = asyncio.run(closed.handle_request("poll"))
    assert (reply.status, reply.body) == (400, b"Session is disconnected")

    working = Server(None)
    answer_closed_sessions(working)  # type: ignore[arg-type]
    assert asyncio.run(working.handle_request("poll")) == "answered poll"

    other_bug = Server(KeyError("something else"))
    answer_closed_sessions(other_bug)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        asyncio.run(other_bug.handle_request("poll"))


@pytest.mark.parametrize(
    "header,message_id",
    [
        ("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),  # nginx's $request_id
        (None, None),
        ("", None),
        ("not-an-id", None),
        ("0123456789ABCDEF0123456789ABCDEF", None),
        ("0123456789abcdef0123456789abcdef0", None),
    ],
)
def test_a_rest_turn_keeps_the_load_balancers_request_id(header: str | None, message_id: str | None) -> None:
    assert delivery_id(header) == message_id


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
