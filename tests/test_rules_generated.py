"""data/rules/rules.yml is generated: it must match its generator."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_rules_file_matches_generator() -> None:
    spec = importlib.util.spec_from_file_location("generate_rules", ROOT / "scripts" / "generate_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "data" / "rules" / "rules.yml").read_text() == module.render(), (
        "run .venv/bin/python scripts/generate_rules.py"
    )
