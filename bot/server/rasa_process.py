"""What every one of our channels sets up in the Rasa server process.

Rasa builds the channels' blueprints in its server process before it loads
the model, so a channel is the one place of ours that runs there first.
"""
from __future__ import annotations

from sanic import Blueprint

from bot.server import privacy, speedups
from bot.server.guard import install_failure_watch


def prepare(bp: Blueprint) -> Blueprint:
    """Install the failure watch, log masking and speed-ups (once), and add ``bp``'s listeners."""
    install_failure_watch()
    privacy.install()
    speedups.install()
    bp.listener("after_server_start")(speedups.freeze_long_lived_objects)
    bp.listener("after_server_stop")(speedups.close_kept_sessions)
    return bp
