"""The action server never starts without its token and its signing key (bot/rasa_server/action_server.py).

Calls without the token are refused on the running stack: tests/security/test_action_server.py.
"""

from __future__ import annotations

import pytest

from bot.rasa_server import action_server


@pytest.mark.parametrize("unset", ["ACTION_SERVER_TOKEN", "ASSISTANT_SECRET_KEY"])
def test_it_refuses_to_start_without_a_secret(
    unset: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "a-token")
    monkeypatch.delenv(unset, raising=False)
    monkeypatch.setattr(action_server, "build_app", lambda token: pytest.fail("must not start"))
    assert action_server.main(["--port", "1"]) == 2
    assert unset in capsys.readouterr().err


def test_an_app_without_a_token_cannot_be_built() -> None:
    with pytest.raises(ValueError):
        action_server.build_app("")
