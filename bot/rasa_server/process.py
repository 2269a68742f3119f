"""What every one of our channels sets up in the Rasa server process.

Rasa builds the channels in its server process before it loads the model,
so a channel is the one place of ours that runs there first.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Sanic

from bot.ops import logs, privacy
from bot.rasa_server import idempotency, payload_gate, speedups, understanding
from bot.rasa_server.guard import install_failure_watch
from bot.settings import settings

# No route of ours takes more; Sanic would otherwise buffer up to 100 MB of
# any request (socket.io polling, unknown paths) before refusing it. Rasa's
# HTTP API (model uploads) keeps Sanic's limit when it is enabled.
MAX_REQUEST_BYTES = 1 << 20


def use_json_logs() -> None:
    """Masked JSON log lines, as in our other processes.

    `rasa run` applies deploy/logging.yml and then replaces its console
    handler with coloredlogs'; this puts ours back. Rasa has set LOG_LEVEL.
    """
    logs.configure(settings().log_level)
    privacy.install()  # also masks structlog's events


async def _cap_request_size(app: Sanic, _loop: Any) -> None:
    if not settings().rasa_jwt_secret:
        app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES


def prepare(bp: Blueprint) -> Blueprint:
    """JSON logs, the failure watch, the payload gate, idempotent deliveries, the speed-ups and
    the message reading (each installed once), and ``bp``'s listeners."""
    use_json_logs()
    install_failure_watch()
    payload_gate.install()
    idempotency.install()
    speedups.install()
    bp.listener("before_server_start")(_cap_request_size)
    understanding.install()
    bp.listener("after_server_start")(understanding.warm_up)
    bp.listener("after_server_start")(speedups.freeze_long_lived_objects)
    bp.listener("after_server_stop")(speedups.close_kept_sessions)
    return bp
