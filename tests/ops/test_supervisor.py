"""The supervisor with tiny fake children: restart with backoff, crash loops, stop, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.ops.supervisor import Child, LaunchFailed, Supervisor
from bot.settings import ROOT


def sleeper(name: str) -> Child:
    return Child(name, [sys.executable, "-c", "import time; time.sleep(600)"])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split(")")[-1].split()[0] != "Z"


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_child_that_dies_is_restarted_and_the_others_keep_running() -> None:
    messages: list[str] = []
    sup = Supervisor([sleeper("a"), sleeper("b")], say=messages.append)
    try:
        sup.start_all(timeout=10)
        a, b = sup.children
        first_a, first_b = a.pid, b.pid
        os.kill(first_a, signal.SIGKILL)
        assert wait_for(lambda: (sup.poll(), a.running() and a.pid != first_a)[1])
        assert b.pid == first_b and b.running()
        assert a.restarts == 1
        assert any("a exited with code -9; restarting in 0.5 s" in m for m in messages)
    finally:
        sup.stop()
    assert not alive(first_b)


def test_backoff_doubles_up_to_ten_seconds() -> None:
    sup = Supervisor([sleeper("a")], say=lambda _: None)
    try:
        sup.start_all(timeout=10)
        child = sup.children[0]
        delays = []
        for _ in range(6):
            os.kill(child.pid, signal.SIGKILL)
            child.proc.wait()  # type: ignore[union-attr]
            child.healthy = True  # it had served before it died
            before = time.monotonic()
            sup.poll()
            delays.append(round(child.next_start - before, 1))
            child.next_start = time.monotonic()  # skip the wait
            sup.poll()
            assert child.running()
            child.healthy = True
    finally:
        sup.stop()
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]


def test_a_child_that_keeps_crashing_at_start_up_stops_the_launch() -> None:
    crash = Child("broken", [sys.executable, "-c", "raise SystemExit(3)"], health_url="http://127.0.0.1:9/")
    sup = Supervisor([crash, sleeper("fine")], max_start_failures=3, say=lambda _: None)
    try:
        with pytest.raises(LaunchFailed, match="broken exited with code 3 3 times in a row"):
            sup.start_all(timeout=60)
    finally:
        sup.stop()
    assert not sup.children[1].running()


def spawner(pid_file: Path, grandchild: str) -> Child:
    """A child that starts the Python program ``grandchild`` and writes its pid to ``pid_file``."""
    program = textwrap.dedent(
        f"""
        import subprocess, sys, time
        g = subprocess.Popen([sys.executable, "-c", {grandchild!r}])
        open({str(pid_file)!r}, "w").write(str(g.pid))
        time.sleep(600)
        """
    )
    return Child("spawner", [sys.executable, "-c", program])


def grandchild_of(pid_file: Path) -> int:
    assert wait_for(lambda: pid_file.exists() and pid_file.read_text() != "")
    return int(pid_file.read_text())


def test_stop_kills_the_whole_process_group_and_ignores_a_second_sigterm(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    sup = Supervisor([spawner(pid_file, stubborn)], stop_grace_seconds=2)
    sup.start_all(timeout=10)
    grandchild = grandchild_of(pid_file)
    previous = signal.getsignal(signal.SIGTERM)
    sup.stop()
    assert signal.getsignal(signal.SIGTERM) == previous
    assert wait_for(lambda: not alive(grandchild), timeout=5)


def test_a_child_that_dies_takes_what_it_started_with_it_before_the_restart(tmp_path: Path) -> None:
    """Like nginx's workers after a SIGKILL of their master: left alone, they keep its port."""
    pid_file = tmp_path / "grandchild.pid"
    sup = Supervisor([spawner(pid_file, "import time; time.sleep(600)")], say=lambda _: None)
    try:
        sup.start_all(timeout=10)
        child = sup.children[0]
        grandchild = grandchild_of(pid_file)
        os.kill(child.pid, signal.SIGKILL)
        assert wait_for(lambda: (sup.poll(), child.restarts == 1)[1])
        assert wait_for(lambda: not alive(grandchild), timeout=5)
    finally:
        sup.stop()


def test_children_die_with_a_sigkilled_supervisor(tmp_path: Path) -> None:
    """A supervisor process killed with SIGKILL leaves no child behind (PR_SET_PDEATHSIG)."""
    pid_file = tmp_path / "child.pid"
    program = textwrap.dedent(
        f"""
        import sys, time
        from bot.ops.supervisor import Child, Supervisor
        sup = Supervisor([Child("c", [sys.executable, "-c", "import time; time.sleep(600)"])])
        sup.start_all(timeout=10)
        open({str(pid_file)!r}, "w").write(str(sup.children[0].pid))
        time.sleep(600)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", program], env=env, start_new_session=True)
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text() != "")
        child = int(pid_file.read_text())
        assert alive(child)
        proc.kill()
        proc.wait()
        assert wait_for(lambda: not alive(child), timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
