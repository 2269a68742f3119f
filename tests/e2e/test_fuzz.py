"""Generated and hostile inputs against every public endpoint of the running
stack: REST, socket.io, SMS and the web app. No 5xx, no crash, a clear
message for every refusal, and the service still answers normally afterwards."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

HOSTILE_TEXT = [
    "",
    " ",
    "\x00\x01\x02",
    "A" * 100_000,
    "\ud83d\ude00" * 500,
    "\u202e\u2066evil",
    "Robert'); DROP TABLE contracts;--",
    "<script>alert(1)</script>",
    "{{7*7}} ${jndi:ldap://x}",
    '/greet{"vin": "x"}',
    "/%s%s%s",
    "../../etc/passwd",
    "ᴴᴱᴸᴾ",
    "𝕚𝕤 𝕞𝕪 𝕣𝕖𝕟𝕥𝕒𝕝 𝕔𝕠𝕧𝕖𝕣𝕖𝕕",
    "\n\n\n",
    "null",
]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_clean(resp: requests.Response) -> None:
    assert resp.status_code < 500, (resp.status_code, resp.text[:300])
    if resp.status_code >= 400:
        assert resp.text.strip(), "a refusal must say why"


def healthy_reply(stack) -> None:
    resp = requests.post(
        stack.rest_url, json={"sender": f"after-{uuid.uuid4().hex}", "message": "how do I cancel"}, timeout=60
    )
    assert resp.status_code == 200 and "cancel" in resp.text.lower()


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_rest_hostile_messages(stack, text: str) -> None:
    resp = requests.post(
        stack.rest_url, json={"sender": f"fuzz-{uuid.uuid4().hex}", "message": text}, timeout=60
    )
    assert_clean(resp)
    if resp.status_code == 200:
        assert resp.json(), "every accepted message gets a reply"


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"", "application/json"),
        (b"{", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"sender=a&message=b", "application/x-www-form-urlencoded"),
        (b"[]", "text/plain"),
        (json.dumps({"sender": "x" * 5000, "message": "hi"}).encode(), "application/json"),
        (b'{"sender": null, "message": null}', "application/json"),
        (b"0" * 200_000, "application/json"),
    ],
)
def test_rest_hostile_bodies(stack, body: bytes, content_type: str) -> None:
    assert_clean(requests.post(stack.rest_url, data=body, headers={"Content-Type": content_type}, timeout=60))


@FUZZ
@given(body=st.binary(max_size=2048))
def test_rest_generated_bytes(stack, body: bytes) -> None:
    assert_clean(
        requests.post(stack.rest_url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
    )


@FUZZ
@given(
    payload=st.dictionaries(
        st.sampled_from(["sender", "message", "metadata", "input_channel", "x"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=300),
            st.lists(st.text(max_size=5), max_size=3),
        ),
        max_size=5,
    )
)
def test_rest_generated_json(stack, payload: dict) -> None:
    assert_clean(requests.post(stack.rest_url, json=payload, timeout=60))


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["Body", "From", "To", "MessageSid", "NumMedia", "Junk"]),
        st.text(max_size=200),
        max_size=6,
    )
)
def test_sms_generated_forms_signed(stack, fields: dict) -> None:
    url = stack.rasa_url + "/webhooks/sms/webhook"
    signature = RequestValidator(stack.env["TWILIO_AUTH_TOKEN"]).compute_signature(url, fields)
    resp = requests.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=60)
    assert_clean(resp)


@FUZZ
@given(
    path=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
    query=st.text(max_size=40),
)
def test_web_app_generated_paths(stack, path: str, query: str) -> None:
    resp = requests.get(f"{stack.web_url}/{path.lstrip('/')}", params={"q": query}, timeout=30)
    assert_clean(resp)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_web_app_wrong_methods(stack, method: str) -> None:
    for path in ("/", "/faq", "/faq.json", "/widget.js", "/health"):
        assert_clean(requests.request(method, stack.web_url + path, data=b"\x00" * 1000, timeout=30))


def test_socketio_hostile_events_then_a_normal_conversation(stack) -> None:
    client = socketio.Client(reconnection=False)
    replies, tokens = [], []
    client.on("bot_uttered", lambda data: replies.append(data))
    client.on("session_confirm", lambda token: tokens.append(token))
    client.connect(stack.rasa_url, socketio_path="/socket.io", transports=["polling"])
    try:
        for payload in [
            None,
            42,
            "text",
            [],
            {"message": None},
            {"message": 7, "session_id": "x"},
            {"message": "hi", "session_id": "short"},
            {"message": "A" * 50_000, "session_id": uuid.uuid4().hex},
            {"message": "\x00", "session_id": uuid.uuid4().hex, "metadata": "{not json"},
        ]:
            client.emit("user_uttered", payload)
        client.emit("session_request", {"session_id": "1"})  # not a token: the server issues its own
        client.emit("session_request", {"session_id": uuid.uuid4().hex})
        client.sleep(2)
        client.emit("user_uttered", {"message": "is my rental covered?", "session_id": tokens[-1]})
        client.sleep(8)
    finally:
        client.disconnect()
    assert any("rental" in (r.get("text") or "") for r in replies), replies
    healthy_reply(stack)


def test_service_still_healthy_after_fuzzing(stack) -> None:
    healthy_reply(stack)
