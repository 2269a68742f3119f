"""What `make topology` gives its processes (bot/ops/topology.py); the processes: tests/scaleout/."""

from __future__ import annotations

from pathlib import Path

from bot.claims.widget import push_urls
from bot.ops import stack
from bot.ops.topology import Topology
from bot.settings import load


def test_the_claims_worker_pushes_to_every_replica(tmp_path: Path) -> None:
    """A widget is connected to one replica; a status update must reach it on either."""
    topology = Topology(
        "models/any.tar.gz",
        {"ASSISTANT_SECRET_KEY": "k" * 40},
        rasa_ports=[17015, 17016],
        action_ports=[17055, 17056],
        log_dir=tmp_path,
        lb_port=17080,
        web_port=17081,
    )
    [worker] = [child for child in topology._front() if child.name == stack.CLAIMS_WORKER]
    assert worker.env is not None
    assert push_urls(load(worker.env)) == [
        "http://127.0.0.1:17015/webhooks/socketio/claim_update",
        "http://127.0.0.1:17016/webhooks/socketio/claim_update",
    ]
