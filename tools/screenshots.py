"""``make screenshots``: PNGs of the widget and the FAQ for docs/screenshots/.

Reuses a running stack (``make run``) when its web app and Rasa server answer,
otherwise starts one like the e2e tests do (bot.ops.launcher on spare ports, with a
throw-away database) and stops it afterwards. The pictures come from real
conversations with the trained assistant.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from bot.ops.health import responds
from bot.ops.model import current_model
from tests.support.browser import Chat, launch

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "docs" / "screenshots"
# Ports of a stack started here; different from `make run` and the e2e tests.
OWN_PORTS = {"RASA_PORT": "25105", "ACTION_PORT": "25155", "WEB_PORT": "28180"}
START_TIMEOUT_SECONDS = 300


def _model() -> str:
    model = current_model()
    if not model.exists():
        sys.exit(f"no trained model at {model}: run `make train` first")
    return str(model)


@contextmanager
def running_stack(web_url: str, rasa_url: str) -> Iterator[str]:
    """The web app's URL: the given stack if it is up, else one started here."""
    if responds(web_url + "/health") and responds(rasa_url + "/"):
        print(f"using the running stack at {web_url}")
        yield web_url
        return
    with tempfile.TemporaryDirectory() as tmp:
        env: dict[str, str] = dict(os.environ, **OWN_PORTS)
        env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_URL=f"sqlite:///{tmp}/screenshots.db",
            TRACKER_DB=f"{tmp}/trackers.db",
            ACTION_SERVER_URL=f"http://127.0.0.1:{OWN_PORTS['ACTION_PORT']}/webhook",
        )
        env.pop("RASA_URL", None)  # the launcher derives it from RASA_PORT
        own_web = f"http://127.0.0.1:{OWN_PORTS['WEB_PORT']}"
        print(f"starting a stack for the screenshots (log: {tmp}/stack.log)...")
        with open(Path(tmp) / "stack.log", "w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.ops.launcher", "--model", _model()],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_for(proc, [own_web + "/health", f"http://127.0.0.1:{OWN_PORTS['RASA_PORT']}/"], tmp)
                yield own_web
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)


def _wait_for(proc: subprocess.Popen, urls: list[str], tmp: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not all(responds(u) for u in urls):
        if proc.poll() is not None or time.monotonic() > deadline:
            log = (Path(tmp) / "stack.log").read_text()[-3000:]
            raise SystemExit(f"the stack did not start:\n{log}")
        time.sleep(1)


# (file, viewport width, height, phone?, question asked before the picture)
CHAT_SHOTS = [
    ("widget-desktop.png", 1280, 800, False, "is my rental covered?"),
    ("widget-phone.png", 375, 812, True, "how do I cancel"),
]


def _shoot(browser: Browser, web_url: str, out_dir: Path) -> list[Path]:
    shots: list[Path] = []
    for name, width, height, phone, question in CHAT_SHOTS:
        context = browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone
        )
        page = context.new_page()
        page.goto(web_url + "/")
        chat = Chat(page)
        chat.open()
        chat.ask(question)
        shots.append(out_dir / name)
        page.screenshot(path=str(shots[-1]))
        context.close()

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(web_url + "/faq")
    page.get_by_label("Search the questions").fill("rental")
    page.locator(".ally-faq-item:visible summary").first.click()
    shots.append(out_dir / "faq.png")
    page.screenshot(path=str(shots[-1]))
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__)
    parser.add_argument("--web-url", default=f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8080')}")
    parser.add_argument("--rasa-url", default=f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        running_stack(args.web_url.rstrip("/"), args.rasa_url.rstrip("/")) as web_url,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        try:
            shots = _shoot(browser, web_url, args.out)
        finally:
            browser.close()
    for shot in shots:
        print(
            f"wrote {shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot} ({shot.stat().st_size // 1024} KB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
