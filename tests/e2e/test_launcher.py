"""`make run`'s launcher: starts everything, prints the URLs, and on SIGTERM
stops every child and frees the ports (no orphans)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bot.ops.health import responds
from bot.ops.model import current_model

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"RASA_PORT": "19005", "ACTION_PORT": "19055", "WEB_PORT": "19080"}


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
