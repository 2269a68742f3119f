"""How tests/security/ configures its stack, and the conversation ids its attacks end up in.

Configured as a deployment behind a proxy: Sanic trusts one X-Forwarded-For
hop (SANIC_PROXIES_COUNT), so each test can pose as its own client and the
per-client failure counts of one test never lock another. The secrets are
fixed so the tests can act as a caller holding the action server's token and
can find a widget session's conversation.
"""

from __future__ import annotations

from bot.rasa_server.channels import SessionTokens
from bot.rasa_server.senders import conversation_id
from bot.sms.security import sender_id, sender_key

SETTINGS = {
    "ASSISTANT_TODAY": "2026-11-24",
    "ACTION_SERVER_TOKEN": "security-test-action-token",
    "ASSISTANT_SECRET_KEY": "security-test-secret-key",
    "METRICS_TOKEN": "security-test-metrics-token",
    "TWILIO_AUTH_TOKEN": "security-test-twilio-token",
    "SANIC_PROXIES_COUNT": "1",
    # Short, so that a test can wait for a verification to lapse.
    "VERIFICATION_IDLE_SECONDS": "20",
}


def socket_conversation(token: str) -> str:
    """The conversation a widget session token stands for."""
    session = SessionTokens(SETTINGS["ASSISTANT_SECRET_KEY"]).session_of(token)
    assert session is not None
    return conversation_id("socketio", session)


def sms_conversation(phone: str) -> str:
    return conversation_id("sms", sender_id(phone, sender_key("", SETTINGS["TWILIO_AUTH_TOKEN"])))
