"""The Help Center FAQ page and embed in Chromium, against the running stack."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.content.contacts import contacts
from bot.content.faq import build_faq, faq_document, json_ld
from tests.support.browser import Chat


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def _expected_document(stack) -> dict:
    # The server's environment decides the configurable numbers.
    return json.loads(json.dumps(faq_document(build_faq(environ=stack.env))))


def test_faq_json_is_the_faq_built_from_the_bots_sources(stack, web_url: str):
    with urllib.request.urlopen(web_url + "/faq.json", timeout=10) as resp:
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert json.load(resp) == _expected_document(stack)


def test_the_faq_page_renders_every_entry_and_its_structured_data(stack, page: Page, web_url: str):
    page.goto(web_url + "/faq")
    entries = _expected_document(stack)["entries"]
    questions = page.locator(".ally-faq-question")
    expect(questions).to_have_count(len(entries))
    assert questions.all_text_contents() == [e["question"] for e in entries]
    page.locator(f"#faq-{entries[0]['id']} summary").click()
    expect(page.locator(f"#faq-{entries[0]['id']} .ally-faq-answer")).to_have_text(entries[0]["answer"])
    structured = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert structured == json_ld(build_faq(environ=stack.env))


def _matches(entry: dict, query: str, with_keywords: bool = True) -> bool:
    """The search's promise: every word of the query is in the entry's text."""
    text = " ".join(
        [entry["category"], entry["question"], entry["answer"]] + (entry["keywords"] if with_keywords else [])
    ).lower()
    return all(word in text for word in query.lower().split())


def test_search_filters_by_question_answer_and_keywords(stack, page: Page, web_url: str):
    page.goto(web_url + "/faq")
    entries = _expected_document(stack)["entries"]
    search = page.get_by_label("Search the questions")
    visible = page.locator(".ally-faq-item:visible summary")
    expect(visible).to_have_count(len(entries))

    # A phrasing found only among an entry's keywords (its training examples).
    keyword_query = next(k for e in entries for k in e["keywords"] if not _matches(e, k, with_keywords=False))
    for query in (keyword_query, "rental", "refund"):
        search.fill(query)
        expected = [e["question"] for e in entries if _matches(e, query)]
        assert expected
        expect(visible).to_have_text(expected)
        expect(page.locator(".ally-faq-count")).to_contain_text(str(len(expected)))

    search.fill("zzzz nothing like this")
    expect(visible).to_have_count(0)
    expect(page.get_by_text("No questions match")).to_be_visible()
    search.fill("")
    expect(visible).to_have_count(len(entries))


def test_ask_opens_the_widget_with_the_question_and_gets_the_answer(page: Page, web_url: str):
    page.goto(web_url + "/faq")
    entry = page.locator("#faq-ask_cancel")
    entry.locator("summary").click()
    question = entry.locator("summary").text_content()
    entry.get_by_role("button", name=re.compile("Ask the assistant")).click()
    chat = Chat(page)
    expect(chat.panel).to_be_visible()
    reply = chat.wait_for_reply(0)
    assert chat.user_texts() == [question]
    assert any(contacts()["cancel_phone"] in text for text in reply)


def test_the_embed_renders_where_its_script_tag_is(page: Page, web_url: str):
    page.goto(web_url + "/")
    section = page.locator("section.faq-section")
    expect(section.locator(".ally-faq-question")).to_have_count(len(build_faq()))
    # data-heading-level="3" on the tag fits the headings under the section's h2.
    assert section.locator("h3.ally-faq-heading").count() > 0


def test_another_site_embeds_the_faq_with_its_script_tag(browser: Browser, web_url: str):
    """The Help Center's embed (docs/channels.md): /faq itself may not be framed by another
    site (tests/security/test_smaller_findings.py). Here the host page is another loopback origin."""
    host = web_url.replace("127.0.0.1", "localhost")
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(host + "/health")  # any page on the other origin
        page.set_content(
            f'<div id="faq"></div><script src="{web_url}/faq-embed.js" data-target="#faq"></script>'
        )
        expect(page.locator("#faq .ally-faq-question")).to_have_count(len(build_faq()))
    finally:
        context.close()
