"""End-to-end: real replies over POST /webhooks/rest/webhook from the running stack,
with contracts imported through the admin CLI."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import urllib.request
import uuid
from contextlib import closing
from pathlib import Path

import pytest

from bot.content.contacts import contacts
from tests.support.clients import metrics_request

ROOT = Path(__file__).resolve().parents[2]
PHONES = contacts()


def say(stack, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    req = urllib.request.Request(stack.rest_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def text_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def new_sender() -> str:
    return f"e2e-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def imported(stack) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "contracts", "import", "tests/e2e/fixtures/contracts.csv"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "imported 3" in result.stdout


@pytest.mark.parametrize(
    "question,expected",
    [
        (
            "is a rental covered while my car's in the shop?",
            "Basic Guard doesn't include rental reimbursement",
        ),
        ("how do I cancel and get my money back?", PHONES["cancel_phone"]),
        ("my car got totaled, what do I do now", PHONES["gap_phone"]),
        ("can I get repairs done in Canada?", "U.S. or Canada"),
        ("I forgot my invest username", PHONES["invest_phone"]),
        ("I sold my car, how do i transfer my contract", "within 30 days"),
        ("does the mechanic need approval before starting?", "Authorization from Ally must be obtained"),
        ("road trip breakdown, do you cover the hotel?", "Kansas"),
        ("are you a real person?", "virtual assistant"),
    ],
)
def test_faq_answers(stack, question: str, expected: str) -> None:
    assert expected in text_of(say(stack, new_sender(), question))


def test_no_reply_is_empty_and_no_placeholder_leaks(stack) -> None:
    sender = new_sender()
    for question in ["hello", "who do I call?", "what's the weather like", "asdf qwer zxcv"]:
        replies = say(stack, sender, question)
        assert replies, question
        assert "{" not in text_of(replies), text_of(replies)


@pytest.mark.parametrize(
    "message",
    ["I'm stuck on the highway, my car just died", "I need a tow truck right now", "flat tire and no spare"],
)
def test_stranded_customer_gets_roadside_number_at_once(stack, message: str) -> None:
    replies = say(stack, new_sender(), message)
    assert PHONES["roadside_phone"] in replies[0]["text"]


def test_accident_says_911_first(stack) -> None:
    reply = text_of(say(stack, new_sender(), "we just crashed and my friend is bleeding"))
    assert reply.index("911") < reply.index(PHONES["roadside_phone"])


def test_roadside_overrides_a_form_in_progress(stack, imported) -> None:
    sender = new_sender()
    say(stack, sender, "I want to start a GAP claim")
    say(stack, sender, "Haddad")
    reply = text_of(say(stack, sender, "help my car broke down on the freeway"))
    assert PHONES["roadside_phone"] in reply
    # The form is over: a plain FAQ question is answered normally afterwards.
    assert "U.S. or Canada" in text_of(say(stack, sender, "where can I take my car for repairs?"))


def test_off_topic_is_declined_not_answered(stack) -> None:
    reply = text_of(say(stack, new_sender(), "what's the interest rate on your savings account?"))
    assert "can't help with that" in reply or "Did you mean" in reply


def test_gap_claim_end_to_end_and_idempotent(stack, imported) -> None:
    sender = new_sender()
    assert "last name" in text_of(say(stack, sender, "my car was totaled and I'd like to open a GAP claim"))
    # Multi-word surname, ZIP and VIN in one message, VIN in lower case.
    confirm = text_of(say(stack, sender, "Van der Berg 64111 1n4bl4bvxkc123456"))
    assert "123456" in confirm and "1N4BL4BVXKC123456" not in confirm
    opened = text_of(say(stack, sender, "yes"))
    assert "Reference: GAP-" in opened and "December 4, 2026" in opened and PHONES["gap_phone"] in opened
    reference = opened.split("Reference: ")[1].split(".")[0]
    say(stack, sender, "start my gap claim")
    again = text_of(say(stack, sender, "yes"))
    assert reference in again and "already have an open GAP claim" in again
    status = text_of(say(stack, sender, "what's the status of my gap claim?"))
    assert reference in status

    listed = subprocess.run(
        [sys.executable, "-m", "bot", "claims", "list", "--json"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    claims = [c for c in json.loads(listed.stdout) if c["reference"] == reference]
    assert len(claims) == 1


def test_no_gap_addendum_is_explained(stack, imported) -> None:
    sender = new_sender()
    say(stack, sender, "file a gap claim please")
    reply = text_of(say(stack, sender, "Quimby, 66212, 2HGFC2F54LH512345"))
    assert "doesn't include a GAP addendum" in reply and PHONES["gap_phone"] in reply


def test_personal_answers_after_verification(stack, imported) -> None:
    sender = new_sender()
    assert "last name" in text_of(say(stack, sender, "what plan do I have?"))
    say(stack, sender, "quimby")
    say(stack, sender, "66212-0042")
    reply = text_of(say(stack, sender, "2HGFC2F54LH512345"))
    assert "Basic Guard" in reply
    assert "Basic Guard, so rental reimbursement isn't included" in text_of(
        say(stack, sender, "is a rental covered?")
    )
    assert "purchased in Kansas" in text_of(say(stack, sender, "what about trip interruption?"))
    assert "$250.00" in text_of(say(stack, sender, "how much is my deductible?"))
    refund = text_of(say(stack, sender, "if I cancel will I get a refund?"))
    assert "prorated" in refund and PHONES["cancel_phone"] in refund


def test_mismatch_is_neutral_keeps_the_details_and_locks_after_three(stack, imported) -> None:
    sender = new_sender()
    say(stack, sender, "look up my contract")
    say(stack, sender, "Haddad")
    say(stack, sender, "02139")
    first = text_of(say(stack, sender, "1N4BL4BVXKC123456"))  # someone else's VIN
    assert "couldn't match those details" in first and PHONES["gap_phone"] in first
    # The details are kept: one sent again unchanged is no new attempt...
    assert "needs fixing" in text_of(say(stack, sender, "02139"))
    # ...and each changed one is checked with the other two.
    assert "couldn't match those details" in text_of(say(stack, sender, "oops zip is 02138 not 02139"))
    locked = text_of(say(stack, sender, "Hadad"))
    assert "stop asking" in locked and PHONES["gap_phone"] in locked
    assert "stop asking" in text_of(say(stack, sender, "what plan do I have"))


def test_asking_for_the_look_up_again_mid_form_carries_on(stack, imported) -> None:
    """Never the fallback: the form asks again for what it was waiting for."""
    sender = new_sender()
    say(stack, sender, "look up my contract")
    say(stack, sender, "Haddad")
    again = text_of(say(stack, sender, "can you just look up my contract"))
    assert "ZIP code" in again and "wasn't able to understand" not in again
    say(stack, sender, "02139")
    assert "couldn't match those details" in text_of(say(stack, sender, "1N4BL4BVXKC123456"))
    after_mismatch = text_of(say(stack, sender, "look up my contract"))
    assert "needs fixing" in after_mismatch and "wasn't able to understand" not in after_mismatch


def test_transfer_deadline_from_a_natural_date(stack) -> None:
    sender = new_sender()
    say(stack, sender, "how do I transfer my contract to the buyer?")
    reply = text_of(say(stack, sender, "I sold it last Friday"))
    # ASSISTANT_TODAY is Wednesday 2026-12-02: last Friday is November 27.
    assert "November 27, 2026" in reply and "December 27, 2026" in reply


def test_metrics_count_messages_intents_handoffs_and_claims(stack, imported) -> None:
    sender = new_sender()
    say(stack, sender, "I'm stranded, my car died on the highway")
    say(stack, sender, "can I talk to a person")
    with urllib.request.urlopen(
        metrics_request(stack.rasa_url + "/webhooks/metrics/", stack.env["METRICS_TOKEN"]), timeout=10
    ) as resp:
        rasa_metrics = resp.read().decode()
    for name in (
        'assistant_messages_total{channel="rest"}',
        'assistant_intents_total{intent="urgent_roadside"}',
        'assistant_handoffs_total{kind="roadside"}',
        'assistant_handoffs_total{kind="phone"}',
        "assistant_conversations_total",
        "assistant_conversations_handed_off_total",
        'assistant_reply_seconds_bucket{channel="rest"',
    ):
        assert name in rasa_metrics, name
    with urllib.request.urlopen(
        metrics_request(stack.action_url + "/metrics", stack.env["METRICS_TOKEN"]), timeout=10
    ) as resp:
        action_metrics = resp.read().decode()
    assert "assistant_gap_claims_total" in action_metrics


def test_logs_are_json_and_hold_no_personal_data(stack, imported) -> None:
    sender = new_sender()
    say(stack, sender, "look up my contract")
    say(stack, sender, "Haddad 02139 WBA5R1C02LF123987")
    log = stack.log_file.read_text().splitlines()
    records = [json.loads(line) for line in log if line.startswith("{")]
    loggers = {record["logger"] for record in records}
    # Every process logs JSON: the action server, the Rasa server (after Rasa's
    # own coloredlogs set-up) and the web app.
    assert {"rasa_sdk.executor", "rasa.core.processor", "bot.web.app"} <= loggers, loggers
    plain = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.\d]* +(DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
    assert [line for line in log if plain.match(line)] == []
    text = stack.log_file.read_text()
    for secret in ("WBA5R1C02LF123987", "02139", "Haddad", "1N4BL4BVXKC123456", "Van der Berg", "64111"):
        assert secret not in text, secret


def test_a_request_delivered_twice_is_answered_twice_and_stored_once(stack) -> None:
    """nginx sends a request on to another replica (same X-Request-ID) when the first died
    after storing the turn: the second delivery gets the stored answer, and the turn is kept once."""
    sender = new_sender()
    body = json.dumps({"sender": sender, "message": "is my rental covered?"}).encode()
    headers = {"Content-Type": "application/json", "X-Request-ID": uuid.uuid4().hex}
    answers = []
    for _ in range(2):
        req = urllib.request.Request(stack.rest_url, data=body, headers=headers)
        with urllib.request.urlopen(req, timeout=60) as resp:
            answers.append(json.loads(resp.read()))
    assert text_of(answers[0]) == text_of(answers[1]) and "Basic Guard" in text_of(answers[0])
    # a new request (its own id) is a new turn
    say(stack, sender, "is my rental covered?")
    with closing(sqlite3.connect(stack.env["TRACKER_DB"])) as conn:
        rows = conn.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (f"rest:{sender}",)
        ).fetchone()
    assert rows[0] == 2
