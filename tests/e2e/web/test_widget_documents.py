"""The widget's side of the claims center in Chromium: "Attach a document" once a claim is open,
a file sent through the file chooser and confirmed by name, and the clerk's status updates
pushed live or shown on the next visit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Stack, bot_cli
from tests.e2e.test_claims import set_status
from tests.e2e.test_claims_channels import REFERENCE, show
from tests.support import samples
from tests.support.browser import Chat

OKAFOR = "Okafor 97203 1HGCM8263RA045721"  # tests/e2e/fixtures/widget_claim.csv, with GAP
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def okafor(stack: Stack) -> None:
    bot_cli(stack, "contracts", "import", "tests/e2e/fixtures/widget_claim.csv")


def wait_for_update(stack: Stack, reference: str, count: int, state: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        updates = show(stack, reference)["notifications"]
        if len(updates) >= count and updates[count - 1]["state"] == state:
            return
        assert time.monotonic() < deadline, updates
        time.sleep(0.5)


def test_attach_a_document_then_hear_about_the_claim(
    page: Page,
    stack: Stack,
    okafor: None,
    web_url: str,
    tmp_path: Path,
) -> None:
    chat = Chat(page)
    chat.open()
    attach = page.get_by_role("button", name="Attach a document")
    assert not attach.is_visible()  # no claim in this conversation yet

    chat.ask("I want to start my GAP claim")
    chat.ask(OKAFOR)
    opened = "\n".join(chat.ask("yes"))
    reference = REFERENCE.search(opened).group(0)
    expect(attach).to_be_visible()
    assert "image/*" in page.locator(".ally-aw-attach input[type=file]").get_attribute("accept")
    results = Axe().run(page)
    assert [v["id"] for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS] == []

    photo = tmp_path / "title photo.jpg"
    photo.write_bytes(samples.jpeg(gps=True))
    scan = tmp_path / "payoff.pdf"
    scan.write_bytes(samples.pdf())
    before = len(chat.bot_texts())
    with page.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files([str(photo), str(scan)])
    expect(page.locator(".ally-aw-msg--bot .ally-aw-text").nth(before + 1)).to_contain_text(
        f"we received payoff.pdf for GAP claim {reference}"
    )
    assert f"we received title photo.jpg for GAP claim {reference}" in chat.bot_texts()[before]
    # A file over the cap is answered at once, without sending it.
    big = tmp_path / "huge scan.pdf"
    big.write_bytes(samples.pdf() + b"\0" * (10 * 1024 * 1024))
    with page.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files(str(big))
    expect(page.locator(".ally-aw-msg--bot .ally-aw-text").last).to_contain_text("That file is too large")
    assert [(d["filename"], d["channel"]) for d in show(stack, reference)["documents"]] == [
        ("title photo.jpg", "socketio"),
        ("payoff.pdf", "socketio"),
    ]

    # The clerk's change reaches the open widget at once...
    set_status(stack, reference, "in_review")
    expect(page.locator(".ally-aw-msg--bot .ally-aw-text").last).to_contain_text(
        "we're reviewing your documents", timeout=30_000
    )
    wait_for_update(stack, reference, 1, "shown")

    # ...and one made while the customer is away waits for the next visit, shown once.
    page.goto("about:blank")
    set_status(stack, reference, "more_documents_needed")
    wait_for_update(stack, reference, 2, "waiting")
    page.goto(web_url + "/")
    expect(Chat(page).panel).to_be_visible()  # it reopens as it was left
    expect(page.locator(".ally-aw-msg--bot .ally-aw-text").last).to_contain_text(
        "we need more documents", timeout=30_000
    )
    wait_for_update(stack, reference, 2, "shown")
    expect(attach).to_be_visible()  # still offered in this conversation after the reload


def test_an_upload_without_the_widgets_session_token_is_refused(stack: Stack) -> None:
    url = stack.rasa_url + "/webhooks/socketio/document"
    for headers in ({}, {"Authorization": "Bearer forged.token"}):
        answer = requests.post(url, data=samples.pdf(), headers=headers, timeout=30)
        assert answer.status_code == 401 and answer.json()["outcome"] == "session_required"


def test_the_push_route_wants_the_push_token(stack: Stack) -> None:
    url = stack.rasa_url + "/webhooks/socketio/claim_update"
    body = {"conversation_id": "socketio:x", "notification_id": 1, "text": "hello"}
    assert requests.post(url, json=body, timeout=30).status_code == 401
    forged = requests.post(url, json=body, headers={"Authorization": "Bearer guessed"}, timeout=30)
    assert forged.status_code == 401
