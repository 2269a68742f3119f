"""The upload page and endpoint, and Twilio's status callback, in process (aiohttp's test client)."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from itsdangerous.timed import TimestampSigner
from PIL import Image
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.claims.links import upload_token
from bot.data import claims, outbox
from bot.data.engine import session_scope
from bot.data.models import ClaimDocument, ClaimNotification
from bot.settings import settings
from bot.web.app import TEMPLATES_DIR, Settings, create_app, error_middleware
from bot.web.app import _security_headers as security_headers
from bot.web.claims import add_claim_routes
from tests.support import samples

CALLBACK = "https://claims.example.test/webhooks/twilio/status"
TOKEN = "web-test-auth-token"


def claims_app() -> web.Application:
    """Only the claims routes, with the web app's middleware and headers (create_app builds the FAQ too)."""
    app = web.Application(middlewares=[error_middleware])
    app.on_response_prepare.append(security_headers)
    add_claim_routes(app, settings(), TEMPLATES_DIR)
    return app


def run(check: Callable[[TestClient], Awaitable[Any]], full_app: bool = False) -> Any:
    async def main() -> Any:
        app = (
            create_app(Settings("http://rasa.example.test:5005", conf=settings()))
            if full_app
            else claims_app()
        )
        async with TestClient(TestServer(app)) as client:
            return await check(client)

    return asyncio.run(main())


def documents() -> list[ClaimDocument]:
    with session_scope() as s:
        return list(s.execute(select(ClaimDocument)).scalars())


def form(data: bytes | None, filename: str | None = "scan.pdf", field: str = "document") -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("note", "hello")
    if data is not None:
        body.add_field(field, data, filename=filename, content_type="application/octet-stream")
    return body


@pytest.fixture
def token(conf, claim_ref) -> str:
    return upload_token(claim_ref, conf)


def test_upload_page_is_accessible_and_locked_down(token, claim_ref):
    async def check(client: TestClient) -> None:
        response = await client.get(f"/claims/upload/{token}")
        assert response.status == 200
        page = await response.text()
        assert f"Send documents for GAP claim {claim_ref}" in page
        assert '<html lang="en">' in page and '<label for="document">' in page
        assert 'type="file"' in page and 'aria-describedby="limits"' in page and "required" in page
        assert "up to 10 MB" in page and "20 documents" in page and "1-866-212-1304" in page
        assert "<script" not in page
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    run(check, full_app=True)  # the product's app serves these routes


def test_upload_a_document(token, claim_ref):
    async def check(client: TestClient) -> None:
        response = await client.post(f"/claims/upload/{token}", data=form(samples.pdf(), "title.pdf"))
        assert response.status == 201
        page = await response.text()
        assert 'role="status"' in page and "we received title.pdf" in page
        assert "Send another document" in page
        json_answer = await client.post(
            f"/claims/upload/{token}",
            data=form(samples.png(), "photo.png"),
            headers={"Accept": "application/json"},
        )
        assert json_answer.status == 201
        body = await json_answer.json()
        assert body["outcome"] == "document_accepted" and body["claim"] == claim_ref
        assert body["document"]["content_type"] == "image/png"

    run(check)
    assert [d.channel for d in documents()] == ["upload_link", "upload_link"]


@pytest.mark.parametrize(
    "data, filename, status, outcome",
    [
        (samples.pdf(), "title.pdf", 409, "document_duplicate"),  # after a first upload below
        (b"GIF89a", "x.gif", 415, "document_wrong_type"),
        (b"", "empty.pdf", 400, "document_empty"),
        (samples.jpeg()[:70], "cut.jpg", 422, "document_corrupt"),
        (samples.pdf(), "../../../etc/passwd", 400, "document_bad_name"),
        (None, None, 400, "document_missing"),  # no file field at all
    ],
    ids=["duplicate", "wrong_type", "empty", "corrupt", "path_name", "no_file"],
)
def test_bad_uploads_get_clear_answers(token, data, filename, status, outcome):
    async def check(client: TestClient) -> None:
        first = await client.post(f"/claims/upload/{token}", data=form(samples.pdf(), "title.pdf"))
        assert first.status == 201
        response = await client.post(
            f"/claims/upload/{token}", data=form(data, filename), headers={"Accept": "application/json"}
        )
        assert response.status == status
        assert (await response.json())["outcome"] == outcome
        html = await client.post(f"/claims/upload/{token}", data=form(data, filename))
        assert html.status == status and 'role="alert"' in await html.text() or status == 409

    run(check)
    assert len(documents()) == 1


def test_too_big_is_stopped_while_streaming(token, monkeypatch):
    monkeypatch.setenv("CLAIMS_MAX_FILE_BYTES", "100000")
    big = samples.pdf() + b"0" * 300_000

    async def chunks():
        for start in range(0, len(big), 16_384):
            yield big[start : start + 16_384]

    async def check(client: TestClient) -> None:
        with_length = await client.post(
            f"/claims/upload/{token}", data=form(big, "big.pdf"), headers={"Accept": "application/json"}
        )
        assert with_length.status == 413
        assert (
            "up to 97.7 KB" in (await with_length.json())["message"]
            or "KB" in (await with_length.json())["message"]
        )
        boundary = "xyzBOUNDARY"

        async def multipart():
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="big.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            async for chunk in chunks():
                yield chunk
            yield f"\r\n--{boundary}--\r\n".encode()

        streamed = await client.post(
            f"/claims/upload/{token}",
            data=multipart(),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Accept": "application/json",
            },
        )
        assert streamed.status == 413

    run(check)
    assert documents() == []


def test_links_that_do_not_open(conf, claim_ref, token, monkeypatch):
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 100 * 3600)
    expired = upload_token(claim_ref, conf)
    monkeypatch.undo()
    for name, value in (
        ("CLAIMS_STORAGE_DIR", conf.claims_storage_dir),
        ("CLAIMS_UPLOAD_SECRET", conf.claims_upload_secret),
        ("DATABASE_URL", conf.database_url),
    ):
        monkeypatch.setenv(name, value)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_secret = upload_token(claim_ref, settings().__class__(claims_upload_secret="someone else's"))

    async def check(client: TestClient) -> None:
        for bad, status, text in (
            (expired, 410, "expired"),
            (forged, 403, "isn't valid"),
            (other_secret, 403, "isn't valid"),
            ("nonsense", 403, "isn't valid"),
        ):
            page = await client.get(f"/claims/upload/{bad}")
            assert page.status == status and text in await page.text()
            posted = await client.post(f"/claims/upload/{bad}", data=form(samples.pdf()))
            assert posted.status == status

    run(check)
    assert documents() == []


def test_closed_claims_and_links_off(conf, claim_ref, token, monkeypatch):
    claims.set_claim_status(claim_ref, "denied")

    async def closed(client: TestClient) -> None:
        page = await client.get(f"/claims/upload/{token}")
        assert page.status == 409 and "is closed" in await page.text()
        assert (await client.post(f"/claims/upload/{token}", data=form(samples.pdf()))).status == 409

    run(closed)
    monkeypatch.setenv("CLAIMS_UPLOAD_SECRET", "")

    async def off(client: TestClient) -> None:
        page = await client.get(f"/claims/upload/{token}")
        assert page.status == 409 and "can't receive documents online" in await page.text()

    run(off)


def test_not_multipart_and_garbage_bodies(token):
    async def check(client: TestClient) -> None:
        plain = await client.post(
            f"/claims/upload/{token}", data=b"just bytes", headers={"Content-Type": "text/plain"}
        )
        assert plain.status == 400 and "didn't receive a file" in await plain.text()
        for body in (b"--x\r\ngarbage", b"\x00" * 100, b"--x--"):
            response = await client.post(
                f"/claims/upload/{token}",
                data=body,
                headers={"Content-Type": "multipart/form-data; boundary=x"},
            )
            assert 400 <= response.status < 500

    run(check)


def test_the_database_failing_is_not_a_5xx(token, monkeypatch):
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr("bot.web.claims.get_claim_record", broken)

    async def check(client: TestClient) -> None:
        page = await client.get(f"/claims/upload/{token}")
        assert page.status == 409 and "try again later" in await page.text()
        assert (await client.post(f"/claims/upload/{token}", data=form(samples.pdf()))).status == 409

    run(check)


# --- Twilio's status callback ---------------------------------------------------------


@pytest.fixture
def sent_notification(conf, claim_ref, monkeypatch) -> str:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    claims.set_claim_contact(claim_ref, "sms", "c" * 64)
    claims.set_claim_status(claim_ref, "in_review")
    with session_scope() as s:
        notification_id = s.execute(select(ClaimNotification.id)).scalar_one()
    now = claims.utc_now()
    assert outbox.claim(notification_id, now, timedelta(minutes=2))
    assert outbox.mark_sent(notification_id, now, "SM" + "9" * 32, "queued")
    return "SM" + "9" * 32


def signed(params: dict[str, str], url: str = CALLBACK, token: str = TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


def state() -> tuple[str, str | None, str | None]:
    with session_scope() as s:
        n = s.execute(select(ClaimNotification)).scalar_one()
        return n.state, n.provider_status, n.last_error


@pytest.mark.parametrize(
    "status, error, expected",
    [
        ("sent", None, ("sent", "sent", None)),
        ("delivered", None, ("delivered", "delivered", None)),
        ("undelivered", "30003", ("failed", "undelivered", "Twilio error 30003")),
    ],
)
def test_signed_status_callbacks_are_recorded(sent_notification, status, error, expected):
    params = {"MessageSid": sent_notification, "MessageStatus": status, "AccountSid": "AC1"}
    if error:
        params["ErrorCode"] = error

    async def check(client: TestClient) -> None:
        response = await client.post("/webhooks/twilio/status", data=params, headers=signed(params))
        assert response.status == 200 and await response.json() == {"recorded": True}

    run(check)
    assert state() == expected


def test_bad_status_callbacks_are_refused(sent_notification, monkeypatch):
    params = {"MessageSid": sent_notification, "MessageStatus": "delivered"}

    async def check(client: TestClient) -> None:
        url = "/webhooks/twilio/status"
        assert (await client.post(url, data=params)).status == 403  # no signature
        forged = signed(params, token="another-token")
        assert (await client.post(url, data=params, headers=forged)).status == 403
        assert (
            await client.post(url, data=params, headers=signed({**params, "MessageStatus": "failed"}))
        ).status == 403
        raw = await client.post(
            url, data=b"{}", headers={**signed(params), "Content-Type": "application/json"}
        )
        assert raw.status == 415
        missing = {"MessageSid": sent_notification}
        assert (await client.post(url, data=missing, headers=signed(missing))).status == 400
        unknown = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
        answer = await client.post(url, data=unknown, headers=signed(unknown))
        assert answer.status == 200 and await answer.json() == {"recorded": False}
        big = {"MessageSid": "x" * 20_000, "MessageStatus": "delivered"}
        assert (await client.post(url, data=big, headers=signed(big))).status == 413

    run(check)
    assert state()[0] == "sent"
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "")

    async def unconfigured(client: TestClient) -> None:
        response = await client.post("/webhooks/twilio/status", data=params, headers=signed(params))
        assert response.status == 403

    run(unconfigured)


def test_a_photo_of_several_megabytes_goes_through(token):
    out = io.BytesIO()
    Image.frombytes("RGB", (1000, 800), os.urandom(1000 * 800 * 3)).save(out, "PNG")
    photo = out.getvalue()
    assert 2_000_000 < len(photo) < 10 * 1024 * 1024  # past aiohttp's 1 MiB client_max_size

    async def check(client: TestClient) -> None:
        response = await client.post(
            f"/claims/upload/{token}", data=form(photo, "photo.png"), headers={"Accept": "application/json"}
        )
        assert response.status == 201, await response.text()

    run(check)
    assert [d.content_type for d in documents()] == ["image/png"]
