"""``python -m bot.web --port 8080``: serve the demo page, widget and FAQ."""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from bot.ops import logs
from bot.settings import settings
from bot.web.app import MissingAsset, Settings, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.web", description=__doc__)
    conf = settings()
    parser.add_argument("--port", type=int, default=conf.web_port)
    parser.add_argument(
        "--host",
        default=conf.web_host,
        help="interface to listen on (env WEB_HOST; default 127.0.0.1)",
    )
    args = parser.parse_args(argv)
    logs.configure(conf.log_level)
    try:
        app = create_app(Settings.from_settings(conf))
    except MissingAsset as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
