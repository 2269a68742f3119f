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
    expect(page.locator('script[type="application/ld+json"]')).to_have_count(1)  # the embed adds none
    structured = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert structured == json_ld(build_faq(environ=stack.env))


# Issue 12's phrasings and their word forms and typos: (query, the entry it must find).
SEARCHES = [
    ("totalled", "ask_gap"),
    ("totaling", "ask_gap"),
    ("money back", "ask_cancel"),
    ("flat tire", "urgent_roadside"),
    ("flat tires", "urgent_roadside"),
    ("cancelation", "ask_cancel"),
    ("refunds", "ask_cancel"),
    ("how do I get my money back", "ask_cancel"),
    ("rent", "ask_rental"),
]


@pytest.mark.parametrize("query, entry_id", SEARCHES)
def test_search_finds_synonyms_word_forms_and_typos(stack, page: Page, web_url: str, query, entry_id):
    page.goto(web_url + "/faq")
    entries = _expected_document(stack)["entries"]
    visible = page.locator(".ally-faq-item:visible")
    expect(visible).to_have_count(len(entries))
    page.get_by_label("Search the questions").fill(query)
    expect(page.locator(f"#faq-{entry_id}")).to_be_visible()
    shown = visible.count()
    assert 0 < shown < len(entries)
    expect(page.locator(".ally-faq-count")).to_contain_text(str(shown))


def test_search_says_when_nothing_matches(stack, page: Page, web_url: str):
    page.goto(web_url + "/faq")
    entries = _expected_document(stack)["entries"]
    search = page.get_by_label("Search the questions")
    visible = page.locator(".ally-faq-item:visible summary")
    search.fill("zzzz nothing like this")
    expect(visible).to_have_count(0)
    expect(page.get_by_text("No questions match")).to_be_visible()
    search.fill("")
    expect(visible).to_have_count(len(entries))


def test_a_faq_link_opens_its_entry(page: Page, web_url: str):
    page.goto(web_url + "/faq#faq-ask_transfer")
    entry = page.locator("#faq-ask_transfer")
    expect(entry).to_have_attribute("open", "")
    expect(entry.locator(".ally-faq-answer")).to_be_visible()
    expect(entry.locator("summary")).to_be_focused()
    page.evaluate("location.hash = '#faq-ask_fee'")
    expect(page.locator("#faq-ask_fee")).to_have_attribute("open", "")


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


def test_another_site_embeds_the_faq_with_its_script_tag(stack, browser: Browser, web_url: str):
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
        # The host page now carries the FAQ's structured data, as /faq does.
        structured = page.locator('script[type="application/ld+json"]')
        expect(structured).to_have_count(1)
        assert json.loads(structured.text_content()) == json_ld(build_faq(environ=stack.env))
    finally:
        context.close()
