"""data/rules/rules.yml is generated: it must match its generator."""

from __future__ import annotations

from bot.settings import ROOT
from tools import generate_rules


def test_rules_file_matches_generator() -> None:
    assert (ROOT / "data" / "rules" / "rules.yml").read_text() == generate_rules.render(), (
        "run .venv/bin/python -m tools.generate_rules"
    )
