"""Finding 5: SMS replays were processed again, the Host header chose the signed URL,
and a 90 MB body was read before the signature was checked."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import requests

from bot.sms.channel import MAX_BODY_BYTES as CAP
from tests.support.clients import Sms
from tests.support.stack import RunningStack

# What the socket buffers on both ends may hold before the answer arrives: up to
# a few MB on loopback (tcp_rmem autotuning), far below the 90 MB declared.
BUFFERED_AT_MOST = 8 << 20


def bodies(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


def test_a_replayed_message_sid_is_answered_once(sms: Sms) -> None:
    phone = sms.new_phone()
    fields = sms.fields(phone, "how do I cancel?")
    assert bodies(sms.post(fields))
    for _ in range(3):
        assert bodies(sms.post(fields)) == []
    assert bodies(sms.post(sms.fields(phone, "how do I cancel?")))  # a new message is answered


def test_a_forged_host_header_does_not_choose_the_signed_url(sms: Sms) -> None:
    forged = "http://evil.example/webhooks/sms/webhook"
    response = sms.post(
        sms.fields(sms.new_phone(), "hi"), signed_url=forged, headers={"Host": "evil.example"}
    )
    assert response.status_code == 403 and "SMS_PUBLIC_URL" in response.text


def test_a_huge_body_is_refused_after_reading_at_most_the_cap(stack: RunningStack) -> None:
    """90 MB declared: the answer comes before the client has sent much more than the cap."""
    parts = urlsplit(stack.rasa_url)
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CAP)  # the client side holds little
        conn.settimeout(30)
        conn.connect((parts.hostname, parts.port))
        conn.sendall(
            b"POST /webhooks/sms/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Twilio-Signature: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 94371840\r\n\r\n"
        )
        conn.setblocking(False)
        answer = b""
        chunk = b"a" * 16384
        while not answer and sent < 90 << 20:
            try:
                sent += conn.send(chunk)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:  # the server closed the connection after answering
                break
            try:
                answer = conn.recv(200)
            except BlockingIOError:
                pass
        conn.setblocking(True)
        answer = answer or conn.recv(200)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert sent < BUFFERED_AT_MOST  # what the client managed to send before the answer: buffers, not 90 MB


def test_an_unsigned_body_under_the_cap_is_refused_unprocessed(sms: Sms) -> None:
    fields = sms.fields(sms.new_phone(), "a" * 1000)
    response = requests.post(sms.url, data=fields, headers={"X-Twilio-Signature": "forged"}, timeout=30)
    assert response.status_code == 403
    assert bodies(sms.post(fields))  # its MessageSid was not claimed by the forgery
