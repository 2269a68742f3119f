"""Profile the product under one of the bench's loads with py-spy.

    .venv/bin/python -m bench.profile --scenario closed_50 [--replicas 2] [--seconds 30]
    .venv/bin/python -m bench.profile --summarize var/bench/profiles/x/rasa-1.txt

Starts the product exactly as the bench does (bench.runner.Product), applies
the load, samples every Rasa replica (and the action server) with py-spy
(installed into var/bench/tools on first use, not into .venv), and prints the
top functions by inclusive and self time. Raw collapsed stacks are kept in
var/bench/profiles/<scenario>/ for flame graphs (e.g. speedscope).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import loadgen
from bench.loadgen import Target
from bench.runner import VAR, Product, model_default, say
from bot.ops.supervisor import Supervisor

TOOLS = VAR / "tools"
PY_SPY = TOOLS / "bin" / "py-spy"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*?)(?::(?P<line>\d+))?\)$")


def ensure_py_spy() -> Path:
    if not PY_SPY.exists():
        say("installing py-spy into var/bench/tools (separate venv)...")
        subprocess.run(["python3", "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "-q", "py-spy"], check=True)
    return PY_SPY


def _short(frame: str) -> str:
    m = FRAME.match(frame)
    if not m:
        return frame
    path = m.group("file")
    for marker in ("site-packages/", "/work/main/", "lib/python3.10/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({path})"


def _package(frame: str) -> str:
    m = FRAME.match(frame)
    path = m.group("file") if m else frame
    if "site-packages/" in path:
        rest = path.split("site-packages/", 1)[1]
        parts = rest.split("/")
        if parts[0] == "rasa" and len(parts) > 2:
            return "/".join(parts[:3]).removesuffix(".py")
        return parts[0]
    if "/bot/" in path:
        return "bot (ours)"
    return "stdlib" if "python3.10" in path else path


def _idle(leaf: str) -> bool:
    """The event loop waiting for I/O (py-spy --nonblocking cannot always tell)."""
    short = _short(leaf)
    return short.startswith(
        (
            "serve (sanic/server/runners.py)",
            "select (selectors.py)",
            "run_forever (",
            "_run_once (asyncio/base_events.py)",
        )
    )


def summarize(collapsed: Path, top: int = 25) -> str:
    """Top functions by inclusive and self samples from py-spy's raw (collapsed) output."""
    inclusive: dict[str, int] = collections.Counter()
    self_: dict[str, int] = collections.Counter()
    by_pkg_self: dict[str, int] = collections.Counter()
    total = idle = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        # the first frame is "process ... " or a thread name
        frames = [f for f in frames if "(" in f]
        if not frames or _idle(frames[-1]):
            idle += n
            continue
        total += n
        for name in {_short(f) for f in frames}:
            inclusive[name] += n
        self_[_short(frames[-1])] += n
        by_pkg_self[_package(frames[-1])] += n
    if not total:
        return f"{collapsed}: no samples"
    out = [
        f"{collapsed.name}: {total} busy samples ({idle} more were the event loop waiting: excluded)",
        "",
        "inclusive:",
    ]
    generic = (
        "sanic/",
        "runpy.py",
        "rasa/__main__.py",
        "rasa/cli/",
        "rasa/api.py",
        "rasa/core/run.py",
        "asyncio/",
        "<module>",
        "connection_task",
        "handle_request",
        "dask/",
    )
    ranked = [
        (k, v)
        for k, v in sorted(inclusive.items(), key=lambda kv: -kv[1])
        if not any(g in k for g in generic)
    ]
    for name, n in ranked[:top]:
        out.append(f"  {100 * n / total:5.1f}%  {name}")
    out += ["", "self:"]
    for name, n in sorted(self_.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"  {100 * n / total:5.1f}%  {name}")
    out += ["", "self, by package:"]
    for name, n in sorted(by_pkg_self.items(), key=lambda kv: -kv[1])[:15]:
        out.append(f"  {100 * n / total:5.1f}%  {name}")
    return "\n".join(out)


async def _load(scenario: str, target: Target, seconds: float, run: str) -> dict:
    if scenario == "one_user":
        summary, _ = await loadgen.closed_loop(target, loadgen.FAQ, 1, seconds, 0.0, run, "prof1")
    elif scenario.startswith("closed_"):
        users = int(scenario.split("_")[1])
        summary, _ = await loadgen.closed_loop(target, loadgen.FAQ, users, seconds, 0.0, run, f"prof{users}")
    elif scenario.startswith("open_"):
        rate = float(scenario.split("_")[1])
        summary, _ = await loadgen.open_loop(target, loadgen.FAQ, rate, seconds, 0.0, run, "profo")
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model")
    parser.add_argument(
        "--scenario",
        default="one_user",
        help="one_user | closed_N | open_RATE | long (turns 100+ of one conversation)",
    )
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--native", action="store_true", help="include C/C++ frames (TensorFlow kernels)")
    parser.add_argument("--tf-threads", type=int, default=None)
    parser.add_argument("--summarize", help="only summarise an existing collapsed-stack file")
    args = parser.parse_args(argv)
    if args.summarize:
        print(summarize(Path(args.summarize)))
        return 0
    py_spy = ensure_py_spy()
    model = str(Path(args.model or model_default()).resolve())
    out_dir = VAR / "profiles" / args.scenario
    out_dir.mkdir(parents=True, exist_ok=True)
    run = time.strftime("%H%M%S")
    work = VAR / f"work-prof-{run}"
    work.mkdir(parents=True, exist_ok=True)
    product = Product(model, [37106 + i for i in range(args.replicas)], 37155, work, args.tf_threads)
    children = Supervisor()
    log_dir = VAR / "logs-profile"
    spies: list[tuple[str, subprocess.Popen, Path]] = []
    try:
        product.prepare()
        actions = children.start(product.action_child(log_dir))
        replicas = [children.start(product.rasa_child(i, log_dir)) for i in range(args.replicas)]
        children.wait_healthy([actions, *replicas], 300)
        target = Target([product.rest_url(i) for i in range(args.replicas)])
        asyncio.run(_load("one_user", target, 3.0, run + "w"))  # warm-up
        if args.scenario == "long":  # grow one conversation to 100 turns first, unprofiled
            asyncio.run(loadgen.long_conversations(target, loadgen.FAQ, 1, 100, run, "proflong"))
        for c in [*replicas, actions]:
            path = out_dir / f"{c.name}.txt"
            cmd = [
                str(py_spy),
                "record",
                "--pid",
                str(c.pid),
                "--rate",
                str(args.rate),
                "--format",
                "raw",
                "--output",
                str(path),
                "--duration",
                str(int(args.seconds + 2)),
                "--nonblocking",
            ]
            if args.native:
                cmd.append("--native")
            spies.append(
                (c.name, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), path)
            )
        time.sleep(1.0)
        if args.scenario == "long":  # the same conversation goes on: turns 101+
            summary, _ = asyncio.run(
                loadgen.long_conversations(
                    target,
                    loadgen.FAQ,
                    1,
                    int(args.seconds * 8),
                    run,
                    "proflong",
                    deadline=time.monotonic() + args.seconds,
                )
            )
        else:
            summary = asyncio.run(_load(args.scenario, target, args.seconds, run))
        say(
            "load: "
            + ", ".join(
                f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                for k, v in summary.items()
                if k in ("ok", "errors", "p50_ms", "p95_ms", "throughput_msg_s")
            )
        )
        for _name, p, _path in spies:
            try:
                p.wait(timeout=args.seconds + 30)
            except subprocess.TimeoutExpired:
                p.terminate()
                p.wait()
        for name, _, path in spies:
            if path.exists():
                text = summarize(path)
                (out_dir / f"{name}.summary.txt").write_text(text + "\n")
                print("\n" + text)
    finally:
        for _, p, _ in spies:
            if p.poll() is None:
                p.terminate()
                p.wait()
        children.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
