"""Where the worker pushes widget updates: the local Rasa server's route unless configured, with a shared token."""

from __future__ import annotations

from bot.claims.widget import push_token, push_urls
from bot.settings import load


def test_make_run_pushes_to_the_local_rasa_server_with_a_token_every_process_derives() -> None:
    conf = load({"ASSISTANT_SECRET_KEY": "k" * 40, "RASA_PORT": "5105"})
    assert push_urls(conf) == ["http://127.0.0.1:5105/webhooks/socketio/claim_update"]
    token = push_token(conf)
    assert len(token) == 64 and token == push_token(load({"ASSISTANT_SECRET_KEY": "k" * 40}))
    assert token != push_token(load({"ASSISTANT_SECRET_KEY": "other" * 8}))


def test_configured_push_url_and_token_win() -> None:
    conf = load(
        {
            "ASSISTANT_SECRET_KEY": "k" * 40,
            "WIDGET_PUSH_URL": "https://rasa-1.internal/webhooks/socketio/claim_update, "
            "https://rasa-2.internal/webhooks/socketio/claim_update",
            "WIDGET_PUSH_TOKEN": "from-the-secret-store",
        }
    )
    assert push_urls(conf) == [
        "https://rasa-1.internal/webhooks/socketio/claim_update",
        "https://rasa-2.internal/webhooks/socketio/claim_update",
    ]
    assert push_token(conf) == "from-the-secret-store"
