"""CPU per turn inside one Rasa process, without HTTP: a quick check between bench runs.

    .venv/bin/python -m bench.turncost [--model M] [--conversations 20] [--profile]

Loads the model into an Agent in this process, with the product's endpoints
(our SQL tracker store on a throwaway SQLite file, the speed-ups of
bot/rasa_server/speedups.py), starts an action server beside it, and sends the
bench's FAQ script. Prints this process's CPU per turn (the action server's
CPU is not in it) and, with --profile, the top functions. Not a benchmark of
the product as deployed (that is `make bench`); it isolates what the model
and Rasa's turn handling cost. tools/policy_compare.py uses it too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.loadgen import FAQ
from bench.runner import model_default, say
from bot.ops import stack
from bot.ops.supervisor import Supervisor
from bot.settings import generated_secrets
from bot.settings import load as load_settings


@contextlib.contextmanager
def product_environment(action_port: int) -> Iterator[None]:
    """Throwaway databases and an action server on ``action_port``, for in-process agents."""
    work = Path(tempfile.mkdtemp(prefix="turncost-"))
    environ = {
        **os.environ,
        "TRACKER_DB": str(work / "trackers.db"),
        "DATABASE_URL": f"sqlite:///{work / 'contracts.db'}",
        "ACTION_PORT": str(action_port),
    }
    for name in ("ACTION_SERVER_URL", "ACTION_SERVER_TOKEN"):
        environ.pop(name, None)
    environ.update(generated_secrets(environ))
    conf = load_settings(environ)
    env = stack.child_environment(conf, environ)
    os.environ.update(env)  # the agent in this process reads endpoints.yml's ${...} from here
    stack.prepare_database(env)
    actions = stack.action_server(conf, env, log_file=work / "actions.log")
    actions.restart = False
    supervisor = Supervisor([actions])
    try:
        supervisor.start_all(timeout=60)
        yield
    finally:
        supervisor.stop()


async def load_agent(model: str) -> Any:
    """The model with the product's endpoints and speed-ups, logging as `rasa run` does."""
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from bot.rasa_server import speedups

    configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)
    speedups.install()
    agent = await rasa_load_agent(
        model_path=model, endpoints=AvailableEndpoints.read_endpoints("endpoints.yml")
    )
    await speedups.freeze_long_lived_objects()
    return agent


async def faq_turn_costs(agent: Any, conversations: int, prefix: str = "turncost") -> list[float]:
    """CPU milliseconds of each turn of ``conversations`` runs of the bench's FAQ script."""
    for n in range(3):  # warm-up
        for turn in FAQ.turns:
            await agent.handle_text(turn.text, sender_id=f"{prefix}-warm-up-{n:04d}")
    costs: list[float] = []
    for n in range(conversations):
        for turn in FAQ.turns:
            started = time.process_time()
            replies = await agent.handle_text(turn.text, sender_id=f"{prefix}-{n:06d}")
            costs.append((time.process_time() - started) * 1000)
            assert replies and (turn.expect or "") in " ".join(r.get("text", "") for r in replies).lower(), (
                replies
            )
    return costs


async def measure(model: str, conversations: int, profile: bool) -> list[float]:
    agent = await load_agent(model)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    costs = await faq_turn_costs(agent, conversations)
    if profiler:
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--action-port", type=int, default=37155)
    args = parser.parse_args()
    with product_environment(args.action_port):
        costs = asyncio.run(measure(args.model or model_default(), args.conversations, args.profile))
    say(
        f"{len(costs)} turns, Rasa-process CPU per turn: median {statistics.median(costs):.1f} ms, "
        f"mean {statistics.mean(costs):.1f} ms (gc frozen: {gc.get_freeze_count()} objects)"
    )
    for i, turn in enumerate(FAQ.turns):
        say(f"  {statistics.median(costs[i :: len(FAQ.turns)]):6.1f} ms  {turn.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
