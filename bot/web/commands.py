"""``python -m bot faq export [--out FILE]``: the FAQ as JSON (same as /faq.json).

Discovered by bot.ops.cli; imports stay inside the handler so other commands start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _cmd_faq_export(args: argparse.Namespace) -> int:
    from bot.content.faq import build_faq, faq_document

    text = json.dumps(faq_document(build_faq()), indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {out}", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    faq = sub.add_parser("faq", help="Help Center FAQ").add_subparsers(dest="command", required=True)
    export = faq.add_parser(
        "export", help="write the FAQ (questions, answers, search terms, structured data) as JSON"
    )
    export.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    export.set_defaults(func=_cmd_faq_export)
