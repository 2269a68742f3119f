"""One supervisor for every process the product starts (`make run`, `make topology`, bench, tests).

- Each child runs in its own process group, so stopping it stops whatever it
  spawned too, and it gets PR_SET_PDEATHSIG: if the supervisor dies, even by
  SIGKILL, the kernel sends the child SIGTERM, so nothing is left orphaned.
- A child that exits while the product is serving is restarted with backoff
  (0.5 s doubling to 10 s), after whatever it started is killed with it (its
  process group); the others keep serving. A child that exits
  ``max_start_failures`` times in a row before it ever became healthy stops
  the launch with a clear message instead of looping forever. A child made
  with ``restart=False`` (a measurement must not hide a crash) fails at once.
- ``stop()`` is idempotent and signal-safe: a second SIGTERM (GNU make
  forwards one to its child) cannot interrupt it.

supervisord (`nodaemon`, `autorestart`, `stopasgroup`) was measured against
these requirements and left out: its children outlive a SIGKILLed supervisord,
it has no HTTP health checks, and it restarts a child that dies after start-up
at once, without backoff (docs/deployment.md, "Process supervision").
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.ops.health import responds

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 10.0
POLL_SECONDS = 0.3


def _die_with_parent() -> None:
    """preexec_fn: a session of its own; SIGTERM from the kernel when the supervisor dies (Linux)."""
    os.setsid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """One supervised program: its command, health URL and state."""

    name: str
    command: list[str]
    health_url: str = ""
    public_url: str = ""
    cwd: Path | None = None
    env: dict[str, str] | None = None
    log_file: Path | None = None
    restart: bool = True  # False: an exit is a failure, never restarted
    proc: subprocess.Popen[bytes] | None = None
    healthy: bool = False
    ready_after: float | None = None  # seconds from the first start to the first health answer
    restarts: int = 0
    start_failures: int = 0
    next_start: float = 0.0
    backoff: float = FIRST_BACKOFF_SECONDS
    started_at: float = 0.0
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_file is None:
            return ""
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class LaunchFailed(RuntimeError):
    """A child could not be brought up (it keeps crashing, or never became healthy)."""


class Supervisor:
    def __init__(
        self,
        children: Sequence[Child] = (),
        *,
        max_start_failures: int = 3,
        stop_grace_seconds: float = 10.0,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.children: list[Child] = list(children)
        self.max_start_failures = max_start_failures
        self.stop_grace_seconds = stop_grace_seconds
        self.stopping = False
        self._say = say or (lambda text: print(text, file=sys.stderr, flush=True))

    # --- starting -------------------------------------------------------------------

    def spawn(self, child: Child) -> None:
        if child.log_file is not None and child._log is None:
            child.log_file.parent.mkdir(parents=True, exist_ok=True)
            child._log = open(child.log_file, "ab")
        child.proc = subprocess.Popen(
            child.command,
            cwd=child.cwd,
            env=child.env,
            stdin=subprocess.DEVNULL,
            stdout=child._log,
            stderr=subprocess.STDOUT if child._log else None,
            preexec_fn=_die_with_parent,
        )
        child.started_at = time.monotonic()
        child.healthy = False

    def start(self, child: Child) -> Child:
        """Add ``child`` and start it now (the others keep running)."""
        if child not in self.children:
            self.children.append(child)
        self.spawn(child)
        return child

    def start_all(self, timeout: float) -> None:
        """Start every child not yet started and wait until each answers its health check."""
        for child in self.children:
            if child.proc is None:
                self.spawn(child)
        self.wait_healthy(self.children, timeout)

    def wait_healthy(self, children: Iterable[Child], timeout: float) -> None:
        """Serve (restarting as usual) until ``children`` are healthy.

        Raises LaunchFailed when one keeps exiting before it is healthy, when a
        ``restart=False`` one exits, or when the timeout passes.
        """
        waiting = list(children)
        deadline = time.monotonic() + timeout
        while not all(c.healthy for c in waiting):
            if time.monotonic() > deadline:
                pending = [c for c in waiting if not c.healthy]
                raise LaunchFailed(
                    f"timed out after {timeout:.0f} s waiting for {', '.join(c.name for c in pending)}"
                    + _tail(pending[0])
                )
            self.poll()
            time.sleep(POLL_SECONDS)

    # --- serving --------------------------------------------------------------------

    def poll(self) -> None:
        """Check health, restart exited children when their backoff has passed."""
        now = time.monotonic()
        for child in self.children:
            if self.stopping:
                return
            if child.running():
                if not child.healthy and (not child.health_url or responds(child.health_url, timeout=1.0)):
                    self._became_healthy(child)
                continue
            if child.proc is not None and child.next_start == 0.0:  # exit not handled yet
                self._on_exit(child, now)
            if child.next_start and now >= child.next_start:
                child.restarts += 1
                child.next_start = 0.0
                self.spawn(child)

    def _became_healthy(self, child: Child) -> None:
        child.healthy = True
        child.start_failures = 0
        child.backoff = FIRST_BACKOFF_SECONDS
        if child.ready_after is None:
            child.ready_after = time.monotonic() - child.started_at
        if child.restarts:
            self._say(f"{child.name} is back (restart {child.restarts})")

    def _on_exit(self, child: Child, now: float) -> None:
        code = child.proc.returncode if child.proc is not None else None
        # What it started dies with it: a SIGKILLed nginx master leaves workers
        # that keep its port, and the restarted nginx could never bind.
        _signal_group(child, signal.SIGKILL)
        if not child.restart:
            raise LaunchFailed(f"{child.name} exited with code {code}" + _tail(child))
        if not child.healthy:
            child.start_failures += 1
            if child.start_failures >= self.max_start_failures:
                where = f" ({child.log_file})" if child.log_file else ""
                raise LaunchFailed(
                    f"{child.name} exited with code {code} {child.start_failures} times in a row "
                    f"before it became ready; see its log{where}"
                )
        child.healthy = False
        child.next_start = now + child.backoff
        self._say(f"{child.name} exited with code {code}; restarting in {child.backoff:.1f} s")
        child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)

    def serve_forever(self, interval: float = 0.5) -> None:
        while not self.stopping:
            self.poll()
            time.sleep(interval)

    def pids(self) -> list[int]:
        """The running children's pids (their own descendants not included)."""
        return [c.pid for c in self.children if c.running()]

    # --- stopping -------------------------------------------------------------------

    def stop(self, children: Sequence[Child] | None = None) -> None:
        """SIGTERM each child's process group, SIGKILL what is left after the grace time.

        Without ``children``: everything, once (later calls return at once).
        With ``children``: only those, which leave the supervisor; the rest keep
        running. Signals are ignored meanwhile, so a second SIGTERM or Ctrl-C
        cannot abort it.
        """
        if children is None:
            if self.stopping:
                return
            self.stopping = True
            targets = list(self.children)
        else:
            targets = [c for c in children if c in self.children]
            self.children = [c for c in self.children if c not in targets]
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            _stop_children(targets, self.stop_grace_seconds)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _stop_children(children: Sequence[Child], grace: float) -> None:
    live = [c for c in children if c.running()]
    for child in live:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in live:
        assert child.proc is not None
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        # the group may hold grandchildren even after the child itself exited
        _signal_group(child, signal.SIGKILL)
        if child.proc is not None and child.proc.poll() is None:
            child.proc.wait()
        if child._log is not None:
            child._log.close()
            child._log = None


def _signal_group(child: Child, sig: signal.Signals) -> None:
    if child.proc is None:
        return
    try:
        os.killpg(child.proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(child: Child) -> str:
    tail = child.log_tail()
    return f":\n{tail}" if tail else ""


def stop_on_signals(supervisor: Supervisor) -> None:
    """SIGTERM and SIGINT end ``serve_forever``/``start_all`` by raising KeyboardInterrupt once."""

    def on_signal(_signum: int, _frame: object) -> None:
        if not supervisor.stopping:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
