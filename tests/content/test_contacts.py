"""Every phone number is written once (bot/content/contacts.yml) and configurable ones
follow the environment."""

from __future__ import annotations

import re
from pathlib import Path

from bot.content.contacts import configurable, contacts

ROOT = Path(__file__).resolve().parents[2]
PHONE = re.compile(r"\b1?-?\d{3}-\d{3}-\d{4}\b")


def test_page_numbers_are_the_pages() -> None:
    values = contacts({})
    page = ROOT.parent / "shared" / "knowledge" / "premier-protection-page.txt"
    text = page.read_text() if page.exists() else ""
    for name in ("gap_phone", "cancel_phone", "bank_phone", "invest_phone"):
        assert values[name] in text or not text, name


def test_configurable_numbers_follow_the_environment() -> None:
    assert configurable() == {
        "roadside_phone": "ROADSIDE_PHONE",
        "claims_phone": "CLAIMS_PHONE",
        "help_center": "HELP_CENTER_URL",
    }
    values = contacts({"ROADSIDE_PHONE": "1-800-000-0000", "CLAIMS_PHONE": " "})
    assert values["roadside_phone"] == "1-800-000-0000"
    assert values["claims_phone"] == contacts({})["claims_phone"]  # blank means unset


def test_demo_numbers_are_fictional() -> None:
    defaults = contacts({})
    assert "-555-01" in defaults["roadside_phone"] and "-555-01" in defaults["claims_phone"]


def test_no_phone_number_is_written_outside_contacts_yml() -> None:
    sources = [
        ROOT / "domain.yml",
        *ROOT.glob("bot/**/*.yml"),
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("bot/web/**/*.html"),
        *ROOT.glob("bot/web/**/*.js"),
        *ROOT.glob("actions/*.py"),
    ]
    offenders = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in sources
        if path.name != "contacts.yml"
        for match in PHONE.findall(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
