"""The outbox worker against a local Twilio stand-in: once, retries, crashes, quiet hours, opt-outs, widget."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from bot.claims.contacts import remember_sms_number
from bot.claims.twilio_api import TwilioSender
from bot.claims.widget import HttpWidgetPush, PushFailed, take_widget_updates
from bot.claims.worker import OutboxWorker, retry_delay
from bot.data import claims, outbox
from bot.data.engine import session_scope
from bot.data.models import ClaimNotification
from bot.data.repository import set_opt_out
from bot.settings import settings
from tests.support import twilio_standin
from tests.support.twilio_standin import TwilioStandIn

PHONE = "+12065550123"
FROM = "+12025550100"
SENDER = "b" * 64
NOON_SEATTLE = datetime(2026, 11, 23, 20, 0, tzinfo=timezone.utc)


class Crash(BaseException):
    """The worker process dying (not an error it could handle)."""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def twilio(conf, monkeypatch) -> Iterator[TwilioStandIn]:
    with TwilioStandIn() as standin:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", twilio_standin.ACCOUNT_SID)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", twilio_standin.AUTH_TOKEN)
        monkeypatch.setenv("TWILIO_FROM_NUMBER", FROM)
        monkeypatch.setenv("TWILIO_API_URL", standin.url)
        yield standin


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON_SEATTLE)


@pytest.fixture
def texted_claim(claim_ref, clock) -> str:
    remember_sms_number(SENDER, PHONE)
    claims.set_claim_contact(claim_ref, "sms", SENDER)
    claims.set_claim_status(claim_ref, "in_review", now=clock())
    return claim_ref


def worker(clock: Clock, sender=None, push=None) -> OutboxWorker:
    conf = settings()
    return OutboxWorker(conf, sender or TwilioSender(conf, timeout=2), push, clock=clock)


def row() -> ClaimNotification:
    with session_scope() as s:
        return s.query(ClaimNotification).one()


def test_a_status_change_is_texted_once(twilio, texted_claim, clock):
    assert worker(clock).run_once() == 1
    [message] = twilio.messages
    assert (message.to, message.from_) == (PHONE, FROM)
    assert texted_claim in message.body and "1-866-212-1304" in message.body
    assert message.status_callback == "https://claims.example.test/webhooks/twilio/status"
    sent = row()
    assert (sent.state, sent.provider_sid, sent.attempts) == ("sent", message.sid, 1)
    clock.advance(hours=1)
    assert worker(clock).run_once() == 0
    assert len(twilio.messages) == 1


def test_errors_are_retried_with_backoff(twilio, texted_claim, clock):
    twilio.faults = [500, 500]
    w = worker(clock)
    assert w.run_once() == 0
    assert (row().state, row().attempts, row().last_error) == ("pending", 1, "Twilio 500 error 20500")
    clock.advance(seconds=29)
    w.run_once()
    assert row().attempts == 1  # not due yet
    clock.advance(seconds=2)
    w.run_once()
    assert (row().state, row().attempts) == ("pending", 2)
    clock.advance(seconds=59)
    w.run_once()
    assert row().attempts == 2  # the second wait is 60 s
    clock.advance(seconds=2)
    assert w.run_once() == 1
    assert row().state == "sent" and len(twilio.messages) == 1


def test_backoff_grows_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_a_permanent_error_fails_at_once(twilio, texted_claim, clock):
    twilio.faults = [400]
    worker(clock).run_once()
    assert (row().state, row().attempts) == ("failed", 1)
    clock.advance(hours=2)
    worker(clock).run_once()
    assert twilio.messages == []


def test_a_crash_between_send_and_record_never_sends_twice(twilio, texted_claim, clock):
    class CrashAfterSend(TwilioSender):
        def send(self, to, body, status_callback):
            super().send(to, body, status_callback)
            raise Crash

    with pytest.raises(Crash):
        worker(clock, CrashAfterSend(settings(), timeout=2)).run_once()
    assert row().state == "sending" and len(twilio.messages) == 1
    clock.advance(minutes=1)
    restarted = worker(clock)
    assert restarted.run_once() == 0  # still leased to the dead worker
    clock.advance(minutes=2)
    assert restarted.run_once() == 1  # lease over: reconciled with Twilio's list, not resent
    assert len(twilio.messages) == 1
    assert (row().state, row().provider_sid) == ("sent", twilio.messages[0].sid)
    assert ("GET", f"{twilio_standin.PREFIX}/Messages.json", True) in twilio.requests


def test_a_crash_before_sending_sends_after_the_lease(twilio, texted_claim, clock):
    class CrashBeforeSend(TwilioSender):
        def send(self, to, body, status_callback):
            raise Crash

    with pytest.raises(Crash):
        worker(clock, CrashBeforeSend(settings(), timeout=2)).run_once()
    clock.advance(minutes=3)
    assert worker(clock).run_once() == 1
    assert len(twilio.messages) == 1 and row().state == "sent"


def test_a_timeout_after_twilio_accepted_is_not_resent(twilio, texted_claim, clock):
    twilio.faults, twilio.stall_seconds = ["stall"], 1.0
    w = OutboxWorker(settings(), TwilioSender(settings(), timeout=0.3), None, clock=clock)
    assert w.run_once() == 0
    assert row().state == "pending" and len(twilio.messages) == 1  # Twilio has it; we do not know
    clock.advance(seconds=31)
    assert w.run_once() == 1
    assert len(twilio.messages) == 1 and row().provider_sid == twilio.messages[0].sid


def test_quiet_hours_hold_texts_until_nine_local(twilio, claim_ref):
    evening = Clock(datetime(2026, 11, 24, 5, 30, tzinfo=timezone.utc))  # 9:30 pm in Seattle (ZIP 98101)
    remember_sms_number(SENDER, PHONE)
    claims.set_claim_contact(claim_ref, "sms", SENDER)
    claims.set_claim_status(claim_ref, "in_review", now=evening())
    w = worker(evening)
    assert w.run_once() == 0
    held = row()
    assert (held.state, held.attempts) == ("pending", 0)
    assert held.next_attempt_at.replace(tzinfo=timezone.utc) == datetime(
        2026, 11, 24, 17, 0, tzinfo=timezone.utc
    )
    evening.advance(hours=11, minutes=29)  # 8:59 am in Seattle
    w.run_once()
    assert twilio.messages == []
    evening.advance(minutes=1)
    assert w.run_once() == 1 and len(twilio.messages) == 1


def test_quiet_hours_can_be_turned_off(twilio, claim_ref, monkeypatch):
    monkeypatch.setenv("SMS_QUIET_HOURS", "off")
    evening = Clock(datetime(2026, 11, 24, 5, 30, tzinfo=timezone.utc))
    remember_sms_number(SENDER, PHONE)
    claims.set_claim_contact(claim_ref, "sms", SENDER)
    claims.set_claim_status(claim_ref, "in_review", now=evening())
    assert worker(evening).run_once() == 1


def test_opted_out_numbers_get_nothing(twilio, texted_claim, clock):
    with session_scope() as s:
        set_opt_out(s, SENDER, True)
    assert worker(clock).run_once() == 1
    assert (row().state, row().last_error) == ("skipped", "opted out")
    assert twilio.messages == []


def test_no_stored_number_is_skipped(twilio, claim_ref, clock):
    claims.set_claim_contact(claim_ref, "sms", SENDER)
    claims.set_claim_status(claim_ref, "in_review", now=clock())
    worker(clock).run_once()
    assert (row().state, row().last_error) == ("skipped", "no SMS number stored")


def test_without_twilio_settings_texts_wait(conf, texted_claim, clock):
    w = OutboxWorker.from_settings(settings())
    assert w.sender is None and w.run_once() == 0
    assert row().state == "pending"


def test_one_row_is_taken_by_one_worker(conf, texted_claim, clock):
    pending = row()
    assert outbox.claim(pending.id, clock(), timedelta(minutes=2)) is True
    assert outbox.claim(pending.id, clock(), timedelta(minutes=2)) is False


class FakePush:
    def __init__(self, answer: bool | None) -> None:
        self.answer = answer
        self.calls: list[tuple[str, int, str]] = []

    def push(self, conversation_id: str, notification_id: int, text: str) -> bool:
        self.calls.append((conversation_id, notification_id, text))
        if self.answer is None:
            raise PushFailed("ConnectionRefusedError")
        return self.answer


@pytest.fixture
def widget_claim(claim_ref, clock) -> str:
    claims.set_claim_contact(claim_ref, "widget", "conversation-42")
    claims.set_claim_status(claim_ref, "approved", now=clock())
    return claim_ref


def test_widget_update_waits_for_the_next_visit(conf, widget_claim, clock):
    assert OutboxWorker(settings(), None, None, clock=clock).run_once() == 1
    assert row().state == "waiting"
    [text] = take_widget_updates("conversation-42")
    assert widget_claim in text and "approved" in text and "STOP" not in text
    assert take_widget_updates("conversation-42") == []  # shown once
    assert row().state == "shown"
    assert take_widget_updates("someone-else") == []


def test_widget_update_pushed_to_a_connected_widget(conf, widget_claim, clock):
    push = FakePush(True)
    OutboxWorker(settings(), None, push, clock=clock).run_once()
    assert push.calls[0][0] == "conversation-42" and row().state == "shown"
    assert take_widget_updates("conversation-42") == []


def test_widget_not_connected_or_push_down(conf, widget_claim, clock):
    OutboxWorker(settings(), None, FakePush(False), clock=clock).run_once()
    assert row().state == "waiting"


def test_widget_push_failure_is_retried(conf, widget_claim, clock):
    OutboxWorker(settings(), None, FakePush(None), clock=clock).run_once()
    assert (row().state, row().attempts) == ("pending", 1)
    assert take_widget_updates("conversation-42") != []  # still shown on the next visit meanwhile


class _PushHandler(BaseHTTPRequestHandler):
    received: list[tuple[dict, str]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _PushHandler.received.append((body, self.headers.get("Authorization", "")))
        answer = json.dumps({"delivered": body["conversation_id"] == "online"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def _push_server() -> HTTPServer:
    server = HTTPServer(("127.0.0.1", 0), _PushHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _route(server: HTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_port}/push"


def _nothing_listening() -> str:
    server = HTTPServer(("127.0.0.1", 0), _PushHandler)
    server.server_close()  # the port was free a moment ago, and is closed now
    return _route(server)


def test_http_widget_push():
    server = _push_server()
    try:
        push = HttpWidgetPush([_route(server)], "push-token")
        assert push.push("online", 7, "hello") is True
        assert push.push("offline", 8, "hello") is False
        body, auth = _PushHandler.received[0]
        assert body == {"conversation_id": "online", "notification_id": 7, "text": "hello"}
        assert auth == "Bearer push-token"
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(PushFailed):
        HttpWidgetPush([_nothing_listening()], "").push("online", 9, "hello")


def test_http_widget_push_asks_every_replica():
    """The widget is connected to one replica: any that delivers is enough; one that
    could not be asked makes an undelivered update a failure (retried), since it may be that one."""
    first, second = _push_server(), _push_server()
    down = _nothing_listening()
    try:
        _PushHandler.received.clear()
        assert HttpWidgetPush([_route(first), _route(second)], "t").push("online", 1, "hi") is True
        assert len(_PushHandler.received) == 2  # both asked: two tabs may be on two replicas
        assert HttpWidgetPush([_route(first), _route(second)], "t").push("offline", 2, "hi") is False
        assert HttpWidgetPush([down, _route(second)], "t").push("online", 3, "hi") is True
        with pytest.raises(PushFailed):
            HttpWidgetPush([down, _route(second)], "t").push("offline", 4, "hi")
    finally:
        for server in (first, second):
            server.shutdown()
            server.server_close()
