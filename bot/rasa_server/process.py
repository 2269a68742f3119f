"""What every one of our channels sets up in the Rasa server process.

Rasa builds the channels in its server process before it loads the model,
so a channel is the one place of ours that runs there first.
"""

from __future__ import annotations

from sanic import Blueprint

from bot.ops import logs, privacy
from bot.rasa_server import speedups, understanding
from bot.rasa_server.guard import install_failure_watch
from bot.settings import settings


def use_json_logs() -> None:
    """Masked JSON log lines, as in our other processes.

    `rasa run` applies deploy/logging.yml and then replaces its console
    handler with coloredlogs'; this puts ours back. Rasa has set LOG_LEVEL.
    """
    logs.configure(settings().log_level)
    privacy.install()  # also masks structlog's events


def prepare(bp: Blueprint) -> Blueprint:
    """JSON logs, the failure watch, the speed-ups and the message reading (idempotent), and ``bp``'s listeners."""
    use_json_logs()
    install_failure_watch()
    speedups.install()
    understanding.install()
    bp.listener("after_server_start")(understanding.warm_up)
    bp.listener("after_server_start")(speedups.freeze_long_lived_objects)
    bp.listener("after_server_stop")(speedups.close_kept_sessions)
    return bp
