"""`make shell`: talk to the assistant in the terminal (`rasa shell`), with its action server.

The action server runs under the supervisor (restarted if it dies, stopped
with the shell); `rasa shell` runs in the foreground with the same settings
as `make run`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from bot.ops import stack
from bot.ops.launcher import run_environment
from bot.ops.supervisor import LaunchFailed, Supervisor
from bot.settings import VAR_DIR, load

START_TIMEOUT_SECONDS = 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.ops.shell", description=__doc__)
    parser.add_argument("--model", required=True, help="trained model (.tar.gz)")
    args = parser.parse_args(argv)
    environ = run_environment(os.environ)  # the same secrets as `make run`
    conf = load(environ)
    env = stack.child_environment(conf, environ)
    stack.prepare_database(env)
    supervisor = Supervisor([stack.action_server(conf, env, log_file=VAR_DIR / "shell-actions.log")])
    try:
        supervisor.start_all(START_TIMEOUT_SECONDS)
        shell = [
            *stack.RASA_COMMAND,
            "shell",
            "--model",
            args.model,
            "--endpoints",
            conf.rasa_endpoints,
            "--port",
            str(conf.rasa_port),
        ]
        return subprocess.run(shell, cwd=stack.ROOT, env=env).returncode
    except LaunchFailed as problem:
        print(f"the action server did not start: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
