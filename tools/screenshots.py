"""``make screenshots``: PNGs of the widget and the FAQ for docs/screenshots/.

Reuses a running stack (``make run``) when its web app and Rasa server answer,
otherwise starts one like the e2e tests do (bot.ops.launcher on spare ports, with a
throw-away database) and stops it afterwards. The pictures come from real
conversations with the trained assistant.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from bot.ops.health import responds
from bot.ops.model import current_model
from bot.ops.supervisor import LaunchFailed, Supervisor
from bot.settings import settings
from tests.support import samples
from tests.support.browser import Chat, launch
from tests.support.launch import launcher

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
            CLAIMS_STORAGE_DIR=f"{tmp}/claims",
        )
        for derived in ("RASA_URL", "ACTION_SERVER_URL"):  # the launcher derives them from the ports
            env.pop(derived, None)
        own_web = f"http://127.0.0.1:{OWN_PORTS['WEB_PORT']}"
        log_file = Path(tmp) / "stack.log"
        print(f"starting a stack for the screenshots (log: {log_file})...")
        supervisor = Supervisor(
            [launcher("stack", _model(), env, log_file, f"http://127.0.0.1:{OWN_PORTS['RASA_PORT']}/")],
            stop_grace_seconds=30,
        )
        try:
            supervisor.start_all(START_TIMEOUT_SECONDS)
            yield own_web
        except LaunchFailed as problem:
            raise SystemExit(f"the stack did not start: {problem}") from None
        finally:
            supervisor.stop()


# The demo contract the claim picture opens (or finds) a GAP claim on (data/demo/contracts.csv).
CLAIM_CONTRACT = "Smith-Jones 98101 5YJ3E1EAXPF402917"
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

    shots.append(_offline_shot(browser, web_url, out_dir / "widget-offline-phone.png"))
    shots.append(_zoom_shot(browser, web_url, out_dir / "widget-zoom-400.png"))
    shots.append(_claim_shot(browser, web_url, out_dir))

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(web_url + "/faq")
    page.get_by_label("Search the questions").fill("rental")
    page.locator(".ally-faq-item:visible summary").first.click()
    shots.append(out_dir / "faq.png")
    page.screenshot(path=str(shots[-1]))
    return shots


def _offline_shot(browser: Browser, web_url: str, path: Path) -> Path:
    """A phone gone offline: the status, the numbers to call and a message "Not sent — Retry"."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(web_url + "/")
    chat = Chat(page)
    chat.open()
    chat.ask("how do I cancel")
    context.set_offline(True)
    chat.input.fill("is my rental covered?")
    chat.input.press("Enter")
    page.get_by_role("button", name="Retry").wait_for(timeout=60_000)
    page.screenshot(path=str(path))
    context.close()
    return path


def _zoom_shot(browser: Browser, web_url: str, path: Path) -> Path:
    """1280x1024 at 400 % zoom (320x256 CSS pixels): the compact panel."""
    context = browser.new_context(viewport={"width": 320, "height": 256})
    page = context.new_page()
    page.goto(web_url + "/")
    chat = Chat(page)
    chat.open()
    chat.ask("is my rental covered?")
    page.screenshot(path=str(path))
    context.close()
    return path


def _claim_shot(browser: Browser, web_url: str, out_dir: Path) -> Path:
    """A GAP claim opened in the widget (a demo contract), then a photo attached through the button."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(web_url + "/")
    chat = Chat(page)
    chat.open()
    for message in ("start my GAP claim", CLAIM_CONTRACT, "yes"):
        chat.ask(message)
    before = len(chat.bot_texts())
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "title photo.jpg"
        photo.write_bytes(samples.jpeg())
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Attach a document").click()
        chooser.value.set_files(str(photo))
        chat.wait_for_reply(before)
    shot = out_dir / "widget-claim.png"
    page.screenshot(path=str(shot))
    context.close()
    return shot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__)
    conf = settings()
    parser.add_argument("--web-url", default=f"http://127.0.0.1:{conf.web_port}")
    parser.add_argument("--rasa-url", default=f"http://127.0.0.1:{conf.rasa_port}")
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
