"""What /proc says about the processes the bench measures, and about the machine.

The bench starts and stops its processes with the product's supervisor
(bot/ops/supervisor.py), from a ``finally`` and on SIGINT/SIGTERM, so Ctrl-C
leaves nothing running.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# --- /proc ------------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that exist now."""
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if os.path.exists(f"/proc/{p}"):
            out.append(p)
        todo.extend(kids.get(p, []))
    return out


def status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(pid: int) -> dict[str, float]:
    """RSS and peak RSS (VmHWM) in MiB of ``pid`` alone and of its process tree."""
    pids = tree(pid)
    return {
        "rss_mib": status_kb(pid, "VmRSS") / 1024,
        "peak_rss_mib": status_kb(pid, "VmHWM") / 1024,
        "tree_rss_mib": sum(status_kb(p, "VmRSS") for p in pids) / 1024,
        "processes": len(pids),
    }


def cpu_seconds(pids: Sequence[int]) -> float:
    """utime + stime of the given processes (live ones only)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def cpu_seconds_precise(pids: Sequence[int]) -> float:
    """Like cpu_seconds, in nanoseconds resolution: the sum of every thread's
    /proc/<pid>/task/<tid>/schedstat (utime/stime tick at only 10 ms)."""
    total = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, IndexError, ValueError):
                pass
    return total / 1e9


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def loadavg() -> list[float]:
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine() -> dict:
    cpu_model = ""
    mhz = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and not cpu_model:
                cpu_model = line.split(":", 1)[1].strip()
            if line.startswith("cpu MHz") and not mhz:
                mhz = line.split(":", 1)[1].strip()
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    try:
        with open("/etc/os-release") as f:
            os_name = next(
                (ln.split("=", 1)[1].strip().strip('"') for ln in f if ln.startswith("PRETTY_NAME=")), ""
            )
    except OSError:
        os_name = ""
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "cpu_mhz": mhz,
        "mem_total_gib": round(mem_kb / 1024 / 1024, 1),
        "os": os_name,
        "kernel": os.uname().release,
        "loadavg": loadavg(),
    }


class CpuWindow:
    """CPU used during a phase: by the given processes, by this client, and by
    everything else on the machine (other people's work)."""

    def __init__(self, pids_fn) -> None:
        self.pids_fn = pids_fn

    def __enter__(self) -> CpuWindow:
        self.t = time.monotonic()
        self.busy = machine_busy_seconds()
        self.ours = cpu_seconds(self.pids_fn())
        self.me = sum(os.times()[:2])
        self.load_before = loadavg()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.monotonic() - self.t
        busy = machine_busy_seconds() - self.busy
        ours = cpu_seconds(self.pids_fn()) - self.ours
        me = sum(os.times()[:2]) - self.me
        self.result = {
            "wall_s": round(wall, 2),
            "servers_cpu_s": round(ours, 3),
            "servers_cores": round(ours / wall, 2) if wall else None,
            "client_cores": round(me / wall, 2) if wall else None,
            "other_cores": round(max(0.0, busy - ours - me) / wall, 2) if wall else None,
            "loadavg_before": self.load_before,
            "loadavg_after": loadavg(),
        }


# --- ports and health -------------------------------------------------------------------


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
