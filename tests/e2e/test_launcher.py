"""`make run`'s launcher: starts everything, prints the URLs, and on SIGTERM
stops every child and frees the ports (no orphans)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.content.contacts import contacts
from bot.ops.health import responds
from bot.ops.model import current_model
from tests.support.ports import ports

ROOT = Path(__file__).resolve().parents[2]
PORTS = ports(RASA_PORT=19005, ACTION_PORT=19055, WEB_PORT=19080)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def descendants(pid: int) -> list:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    parents = {}
    for line in out.splitlines():
        child, parent = line.split()
        parents.setdefault(parent, []).append(child)
    found, todo = [], [str(pid)]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_launcher_starts_prints_urls_and_stops_cleanly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **PORTS,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "TRACKER_DB": str(tmp_path / "t.db"),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{PORTS['ACTION_PORT']}/webhook",
    }
    log = open(tmp_path / "launcher.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.ops.launcher", "--model", str(current_model())],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while "Press Ctrl-C to stop." not in (tmp_path / "launcher.log").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (
                tmp_path / "launcher.log"
            ).read_text()[-3000:]
            time.sleep(1)
        printed = (tmp_path / "launcher.log").read_text()
        for port in PORTS.values():
            assert f":{port}/" in printed
        assert responds(f"http://127.0.0.1:{PORTS['RASA_PORT']}/")
        assert responds(f"http://127.0.0.1:{PORTS['ACTION_PORT']}/health")
        assert responds(f"http://127.0.0.1:{PORTS['WEB_PORT']}/health")
        children = descendants(proc.pid)
        assert len(children) >= 3  # action server, Rasa server, web app

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    time.sleep(1)
    for port in PORTS.values():
        assert not port_open(int(port)), f"port {port} still open"
    leftovers = [pid for pid in children if os.path.exists(f"/proc/{pid}")]
    assert leftovers == []


def start_launcher(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    """`python -m bot.ops.launcher` in its own session, as `make run` under a terminal."""
    env = {
        **os.environ,
        **PORTS,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "TRACKER_DB": str(tmp_path / "t.db"),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{PORTS['ACTION_PORT']}/webhook",
    }
    log_path = tmp_path / "launcher.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.ops.launcher", "--model", str(current_model())],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + 300
    while "Press Ctrl-C to stop." not in log_path.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
        time.sleep(1)
    return proc, log_path


def pid_running(module: str) -> int | None:
    """The pid of the process started as ``python -m <module>`` with our test ports.

    Read from /proc, not `ps`: ps cuts a long command line at 80 columns when
    its output is a pipe, and CI's checkout path is long.
    """
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in args]
        if module in words and "-m" in words and PORTS["ACTION_PORT"] in words and _alive(entry.name):
            return int(entry.name)
    return None


def rest(text: str, sender: str) -> str:
    body = json.dumps({"sender": sender, "message": text}).encode()
    url = f"http://127.0.0.1:{PORTS['RASA_PORT']}/webhooks/rest/webhook"
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return " ".join(m.get("text", "") for m in json.loads(resp.read()))


def test_a_killed_action_server_is_restarted_and_sigterm_twice_still_stops_everything(tmp_path: Path) -> None:
    proc, log_path = start_launcher(tmp_path)
    try:
        first = pid_running("bot.rasa_server.action_server")
        assert first is not None
        children = descendants(proc.pid)
        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        # while it is down the customer still gets a way to reach someone
        down_reply = rest("I want to file a GAP claim", "launcher-down-0001")
        assert contacts()["gap_phone"] in down_reply or contacts()["claims_phone"] in down_reply, down_reply
        while not responds(f"http://127.0.0.1:{PORTS['ACTION_PORT']}/health"):
            assert time.monotonic() - killed_at < 15, log_path.read_text()[-3000:]
            time.sleep(0.2)
        assert pid_running("bot.rasa_server.action_server") not in (None, first)
        assert "last name" in rest("I want to file a GAP claim", "launcher-back-0001").lower()
        assert "action server exited with code -9; restarting" in log_path.read_text()

        os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGTERM)  # GNU make forwards a second one
        stopped_at = time.monotonic()
        while any(port_open(int(p)) for p in PORTS.values()):
            assert time.monotonic() - stopped_at < 15, "ports still open 15 s after SIGTERM"
            time.sleep(0.2)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert [pid for pid in descendants(proc.pid) + children if os.path.exists(f"/proc/{pid}")] == []


def test_no_child_outlives_a_sigkilled_launcher(tmp_path: Path) -> None:
    proc, _ = start_launcher(tmp_path)
    children = descendants(proc.pid)
    assert len(children) >= 3
    proc.kill()  # the launcher alone, as an OOM killer would
    proc.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in children) or any(port_open(int(p)) for p in PORTS.values()):
        assert time.monotonic() < deadline, "children outlived the launcher"
        time.sleep(0.2)


def _alive(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
