"""Two Rasa replicas and two action servers sharing PostgreSQL and Redis
(`make topology`): any replica may take any turn of a conversation.

Fixture ``cluster`` (conftest.py) starts the topology on throwaway databases.
Claims are checked with the admin CLI against the shared contracts database,
turn order with the shared tracker store.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from functools import partial

import psycopg2
import pytest
from twilio.request_validator import RequestValidator

from bot.rasa_server.senders import conversation_id
from bot.sms.security import sender_id, sender_key
from tests.scaleout.conftest import TWILIO_TOKEN

Step = tuple[str, str]  # (customer message, text the reply must contain)

# The form's questions (bot/content/messages.yml), distinctive enough that a re-asked
# question cannot pass for the next one.
ASK_LAST_NAME = "what's the last name on the contract?"
ASK_ZIP = "What's the ZIP code on your contract?"
ASK_VIN = "17-character VIN"


def say(url: str, sender: str, text: str) -> str:
    body = json.dumps({"sender": sender, "message": text}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 200
        replies: list[dict] = json.loads(resp.read())
    assert replies, f"no reply to {text!r}"
    return "\n".join(r.get("text", "") for r in replies)


def form_steps(last_name: str, zip_code: str, vin: str) -> list[Step]:
    """The GAP claim form up to (not including) the confirmation."""
    return [
        ("start my GAP claim", ASK_LAST_NAME),
        (last_name, ASK_ZIP),
        (zip_code, ASK_VIN),
        (vin, vin[-6:]),
    ]


def converse(urls: Sequence[str], sender: str, steps: Sequence[Step]) -> list[str]:
    """Send each step to urls[i % len(urls)]; every reply must contain its expected text."""
    replies = []
    for i, (message, expected) in enumerate(steps):
        reply = say(urls[i % len(urls)], sender, message)
        assert expected in reply, f"turn {i + 1} ({message!r}) on replica {i % len(urls) + 1}: {reply!r}"
        replies.append(reply)
    return replies


def claims_for(cluster, contract: str) -> list[dict]:
    return [
        c for c in json.loads(cluster.cli("claims", "list", "--json")) if c["contract_number"] == contract
    ]


def tracker_events(cluster, sender: str) -> list[tuple[str, str]]:
    """(type, user text or action name) of the stored events, in storage order."""
    with psycopg2.connect(cluster.tracker_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT type_name, action_name, data FROM events WHERE sender_id = %s ORDER BY id",
            (conversation_id("rest", sender),),
        )
        rows = cur.fetchall()
    out = []
    for type_name, action_name, data in rows:
        if type_name == "user":
            out.append(("user", json.loads(data).get("text")))
        elif type_name == "action":
            out.append(("action", action_name))
    return out


def reference_in(reply: str) -> str:
    return reply.split("Reference: ")[1].split(".")[0]


def test_alternating_replicas_give_the_one_server_conversation(cluster) -> None:
    # One server, O'Connor's contract; alternating replicas, Smith-Jones's.
    single, alternating = f"single-{uuid.uuid4().hex}", f"alternate-{uuid.uuid4().hex}"
    one = form_steps("O'Connor", "60614", "1HGFE2F56MA104231") + [("yes", "Reference: GAP-")]
    two = form_steps("Smith-Jones", "98101", "5YJ3E1EAXPF402917") + [("yes", "Reference: GAP-")]

    converse(cluster.rest_urls[:1], single, one)
    replies = converse(cluster.rest_urls, alternating, two)
    reference = reference_in(replies[-1])
    status = say(cluster.rest_urls[1], alternating, "what's the status of my gap claim?")
    assert reference in status

    # Same actions in the same order as on one server; every message stored once, in order.
    single_actions = [name for kind, name in tracker_events(cluster, single) if kind == "action"]
    events = tracker_events(cluster, alternating)
    actions = [name for kind, name in events if kind == "action"]
    assert actions[: len(single_actions)] == single_actions
    # The identity answers are stored masked (bot/rasa_server/tracker_privacy.py).
    assert [text for kind, text in events if kind == "user"] == [
        "start my GAP claim",
        "[last_name]",
        "[zip_code]",
        "[vin]",
        "yes",
        "what's the status of my gap claim?",
    ]
    assert [c["reference"] for c in claims_for(cluster, "APP-100103")] == [reference]


def _confirm_at_once(targets: Sequence[tuple[str, str]]) -> list[str]:
    """Send "yes" for each (url, sender) at the same moment; the replies, in order."""
    barrier = threading.Barrier(len(targets))
    replies: list[str] = [""] * len(targets)
    errors: list[BaseException] = []

    def confirm(i: int, url: str, sender: str) -> None:
        try:
            barrier.wait(timeout=30)
            replies[i] = say(url, sender, "yes")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(i, *t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    return replies


def test_double_submission_across_replicas_opens_one_claim(cluster) -> None:
    """Two conversations for the same contract confirm on different replicas at once."""
    steps = form_steps("Placeholder", "33101", "KM8J3CA47NU118492")
    a, b = f"double-a-{uuid.uuid4().hex}", f"double-b-{uuid.uuid4().hex}"
    converse(cluster.rest_urls[:1], a, steps)
    converse(cluster.rest_urls[1:], b, steps)

    replies = _confirm_at_once([(cluster.rest_urls[0], a), (cluster.rest_urls[1], b)])

    claims = claims_for(cluster, "APP-100108")
    assert len(claims) == 1, claims
    for reply in replies:  # both customers are told about the one claim
        assert claims[0]["reference"] in reply, reply
    assert sum("Your GAP claim is open" in r for r in replies) == 1, replies


def test_one_conversation_confirming_on_both_replicas_at_once_opens_one_claim(cluster) -> None:
    """The same conversation's "yes" reaches both replicas at the same moment (a
    double tap without sticky routing). Redis's lock may let both through
    (rasa #9213, see docs/deployment.md); the claim must still be single."""
    sender = f"same-{uuid.uuid4().hex}"
    converse(cluster.rest_urls, sender, form_steps("Núñez", "78701", "2T1BURHE4NC073158"))

    replies = _confirm_at_once([(url, sender) for url in cluster.rest_urls])

    assert all(replies), replies
    claims = claims_for(cluster, "APP-100102")
    assert len(claims) == 1, claims
    assert any(claims[0]["reference"] in r for r in replies), replies


@pytest.mark.parametrize("replica", [0, 1])
def test_each_replica_answers_on_its_own(cluster, replica: int) -> None:
    sender = f"solo-{uuid.uuid4().hex}"
    assert "virtual assistant" in say(cluster.rest_urls[replica], sender, "are you a real person?")


# --- one delivery reaching both replicas (issue 14, deliverable 3) -------------------


def _at_once(deliveries: Sequence[Callable[[], str]]) -> list[str]:
    """Run the deliveries in threads started together; their results in order."""
    results: list[str] = [""] * len(deliveries)
    errors: list[BaseException] = []
    start = threading.Barrier(len(deliveries))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = deliveries[i]()
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(deliveries))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def _rest_delivery(url: str, sender: str, text: str, request_id: str) -> str:
    body = json.dumps({"sender": sender, "message": text}).encode()
    headers = {"Content-Type": "application/json", "X-Request-ID": request_id}
    with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=60) as resp:
        assert resp.status == 200
        return "\n".join(r.get("text", "") for r in json.loads(resp.read()))


def _sms_delivery(url: str, fields: dict[str, str]) -> str:
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, fields)
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(fields).encode(), headers={"X-Twilio-Signature": signature}
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 200
        return "\n".join(m.text or "" for m in ET.fromstring(resp.read()).iter("Message"))


def stored_user_texts(cluster, conversation: str) -> list[str]:
    with psycopg2.connect(cluster.tracker_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (conversation,)
        )
        return [json.loads(data)["text"] for (data,) in cur.fetchall()]


def test_one_rest_delivery_reaching_both_replicas_at_once_is_run_once(cluster) -> None:
    """A request sent again to the other replica under the same request id (nginx's
    retry, a double submit): both deliveries get the answer, the turn is stored once."""
    sender = f"dup-rest-{uuid.uuid4().hex}"
    text, request_id = "how do I cancel and get my money back?", uuid.uuid4().hex
    replies = _at_once([partial(_rest_delivery, url, sender, text, request_id) for url in cluster.rest_urls])
    assert all("full refund" in reply for reply in replies), replies
    assert stored_user_texts(cluster, conversation_id("rest", sender)) == [text]


def test_one_sms_reaching_both_replicas_at_once_is_answered_and_stored_once(cluster) -> None:
    """Twilio retrying a webhook (same MessageSid) while the first delivery is still on the
    other replica: one answer goes out, one turn is stored."""
    phone = f"+1555{uuid.uuid4().int % 10**7:07d}"
    fields = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": phone,
        "To": "+15555550100",
        "Body": "are you a real person?",
    }
    urls = [url.replace("/webhooks/rest/webhook", "/webhooks/sms/webhook") for url in cluster.rest_urls]
    replies = _at_once([partial(_sms_delivery, url, fields) for url in urls])
    assert sorted(bool(reply) for reply in replies) == [False, True], replies
    assert "virtual assistant" in "".join(replies)
    conversation = conversation_id("sms", sender_id(phone, sender_key(None, TWILIO_TOKEN)))
    assert stored_user_texts(cluster, conversation) == [fields["Body"]]
