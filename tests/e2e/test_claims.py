"""A clerk's status change reaches the customer's phone: `python -m bot claims set-status`, the
claims worker supervised by `make run`'s launcher, Twilio's API (a local stand-in)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from bot.claims.contacts import remember_sms_number
from bot.data import claims, services
from bot.data.engine import reset_engine_cache
from tests.e2e.conftest import TWILIO_FROM, Stack, bot_cli
from tests.support.twilio_standin import TwilioStandIn

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "APP-100110"  # a demo contract with GAP that no other e2e test files a claim on
PHONE = "+12065550199"
SENDER = "e2e" + "d" * 61


@pytest.fixture
def texted_claim(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> str:
    """A claim on the stack's database whose updates go to PHONE by SMS."""
    for name in ("DATABASE_URL", "CONTACT_ENCRYPTION_KEY"):
        monkeypatch.setenv(name, stack.env[name])
    reset_engine_cache()
    claim, _ = services.open_gap_claim(CONTRACT, "sms")
    assert remember_sms_number(SENDER, PHONE)
    claims.set_claim_contact(claim.reference, "sms", SENDER)
    yield claim.reference
    reset_engine_cache()


def set_status(stack: Stack, reference: str, status: str) -> str:
    """`python -m bot claims set-status` on the stack's database; its output."""
    return bot_cli(stack, "claims", "set-status", reference, status, "--note", "e2e")


def wait_for_messages(twilio: TwilioStandIn, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(twilio.messages) < count:
        assert time.monotonic() < deadline, f"{len(twilio.messages)} text(s) reached Twilio, expected {count}"
        time.sleep(0.2)


def worker_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"bot.claims.worker" in command and str(ROOT).encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
    return found


def test_set_status_texts_the_customer_through_the_supervised_worker(stack, twilio, texted_claim):
    assert "customer update queued" in set_status(stack, texted_claim, "in_review")
    wait_for_messages(twilio, 1)
    [text] = twilio.messages
    assert (text.to, text.from_) == (PHONE, TWILIO_FROM)
    assert (
        texted_claim in text.body
        and "reviewing your documents" in text.body
        and "1-866-212-1304" in text.body
    )
    assert text.status_callback.endswith("/webhooks/twilio/status")

    # The launcher restarts a worker that dies, and nothing is sent twice.
    [pid] = worker_pids()
    os.kill(pid, signal.SIGKILL)
    set_status(stack, texted_claim, "more_documents_needed")
    wait_for_messages(twilio, 2)
    time.sleep(2)  # a few more worker rounds
    assert len(twilio.messages) == 2
    assert "we need more documents" in twilio.messages[1].body and texted_claim in twilio.messages[1].body
    assert worker_pids() and worker_pids() != [pid]
