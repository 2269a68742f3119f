"""The environment `make run` gives its children (bot/ops/launcher.py); the processes: tests/e2e/test_launcher.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ops import launcher


def test_every_child_gets_the_same_generated_secrets_run_after_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    monkeypatch.delenv("ASSISTANT_SECRET_KEY", raising=False)
    monkeypatch.setattr(launcher, "RUN_SECRETS_FILE", tmp_path / "run-secrets.env")
    env = launcher.run_environment({})
    assert len(env["ACTION_SERVER_TOKEN"]) >= 40 and len(env["ASSISTANT_SECRET_KEY"]) >= 40
    assert env["ACTION_SERVER_TOKEN"] != env["ASSISTANT_SECRET_KEY"]
    again = launcher.run_environment({})  # a restarted `make run`
    assert again["ASSISTANT_SECRET_KEY"] == env["ASSISTANT_SECRET_KEY"]


def test_configured_secrets_are_kept() -> None:
    configured = {
        "ACTION_SERVER_TOKEN": "from-the-secret-store",
        "ASSISTANT_SECRET_KEY": "also-from-the-secret-store",
    }
    env = launcher.run_environment(configured)
    assert env["ACTION_SERVER_TOKEN"] == "from-the-secret-store"
    assert env["ASSISTANT_SECRET_KEY"] == "also-from-the-secret-store"
