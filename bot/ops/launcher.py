"""Start the whole product (action server, Rasa server, web app) and stop it cleanly.

`make run` calls this after setup and training. The supervisor
(bot/ops/supervisor.py) restarts a child that dies while the rest keep
serving; Ctrl-C or SIGTERM (once or repeatedly) stops them all and frees the
ports, and no child outlives the launcher, even a SIGKILLed one.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from bot.ops import stack
from bot.ops.supervisor import LaunchFailed, Supervisor, stop_on_signals
from bot.settings import RUN_SECRETS_FILE, SettingError, generated_secrets, load

STOP_GRACE_SECONDS = 10
START_TIMEOUT_SECONDS = 240


def run_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with ACTION_SERVER_TOKEN and ASSISTANT_SECRET_KEY when unset, kept
    across runs of this checkout (so a restart continues its conversations; docs/security.md)."""
    return {**environ, **generated_secrets(environ, keep_in=RUN_SECRETS_FILE)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="trained model (.tar.gz)")
    parser.add_argument("--no-seed", action="store_true", help="skip the demo contracts")
    args = parser.parse_args(argv)

    environ = run_environment(os.environ)
    try:
        conf = load(environ)
    except SettingError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    env = stack.child_environment(conf, environ)
    if not args.no_seed:
        stack.prepare_database(env)

    supervisor = Supervisor(stack.product(args.model, conf, env), stop_grace_seconds=STOP_GRACE_SECONDS)
    stop_on_signals(supervisor)
    try:
        try:
            supervisor.start_all(START_TIMEOUT_SECONDS)
        except LaunchFailed as problem:
            print(f"\nstartup failed: {problem}", file=sys.stderr)
            return 1
        print("\nAlly Premier Protection assistant is running:")
        for child in supervisor.children:
            print(f"  {child.name:<14} {child.public_url}")
        print("Press Ctrl-C to stop.\n", flush=True)
        supervisor.serve_forever()
        return 0
    except LaunchFailed as problem:
        print(f"\n{problem}; stopping everything", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping...", file=sys.stderr)
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
