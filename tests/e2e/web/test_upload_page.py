"""The claim upload page in a real browser: accessible, no CSP violation, a document goes in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from bot.claims.links import issue_upload_link
from bot.data import claims, services
from bot.data.engine import reset_engine_cache
from bot.settings import load
from tests.support import samples

CONTRACT = "APP-100108"  # a demo contract with GAP that no other e2e test files a claim on
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture
def claim_link(stack, web_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    monkeypatch.setenv("DATABASE_URL", stack.env["DATABASE_URL"])
    reset_engine_cache()
    claim, _ = services.open_gap_claim(CONTRACT, "socketio")
    conf = load({**stack.env, "WEB_PUBLIC_URL": web_url})
    yield claim.reference, issue_upload_link(claim.reference, conf)
    reset_engine_cache()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def test_upload_page_in_a_browser(page: Page, claim_link: tuple[str, str], tmp_path: Path):
    reference, link = claim_link
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Send documents for GAP claim {reference}")
    results = Axe().run(page)
    assert [v["id"] for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS] == []

    photo = tmp_path / "title photo.jpg"
    photo.write_bytes(samples.jpeg(gps=True))
    page.get_by_label("Document").set_input_files(str(photo))
    page.get_by_role("button", name="Send document").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"we received title photo.jpg for GAP claim {reference}"
    )
    expect(page.get_by_role("button", name="Send another document")).to_be_visible()

    page.get_by_label("Document").set_input_files(str(photo))
    page.get_by_role("button", name="Send another document").click()
    expect(page.get_by_role("status")).to_contain_text("already have title photo.jpg")
    assert not [text for text in console if "Content Security Policy" in text]

    record = claims.get_claim_record(reference)
    assert record is not None and [d.filename for d in record.documents] == ["title photo.jpg"]
