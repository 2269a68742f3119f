"""``python -m bot privacy purge --older-than DAYS`` and ``python -m bot privacy erase --contract NUMBER``.

Discovered by bot.ops.cli; imports stay inside the handlers so other commands start fast.
"""

from __future__ import annotations

import argparse
import sys

PURGE_EPILOG = """\
Deletes every conversation whose latest message is older than DAYS (whole
conversations, from the tracker store named by RASA_ENDPOINTS), and shared
state that has expired: SMS deliveries past their replay memory, failed
identity checks past the lockout window. Run it daily (docs/security.md)."""

ERASE_EPILOG = """\
Deletes every conversation in which the contract's holder verified their
identity. The contract record, its GAP claims and SMS opt-outs are kept:
docs/security.md says why."""


def _cmd_purge(args: argparse.Namespace) -> int:
    from bot.data.retention import purge

    if args.older_than < 0:
        print("error: --older-than must be 0 or more days", file=sys.stderr)
        return 2
    removed = purge(args.older_than)
    print(
        f"purged {removed.conversations} conversation(s) ({removed.events} events) "
        f"with no message in the last {args.older_than:g} day(s)"
    )
    return 0


def _cmd_erase(args: argparse.Namespace) -> int:
    from bot.data.retention import erase_contract

    removed = erase_contract(args.contract)
    print(
        f"erased {removed.conversations} conversation(s) ({removed.events} events) "
        f"of contract {args.contract.strip().upper()}; kept: the contract record, its GAP claims, SMS opt-outs"
    )
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    privacy = sub.add_parser("privacy", help="conversation retention and erasure").add_subparsers(
        dest="command", required=True
    )
    purge = privacy.add_parser(
        "purge",
        help="delete conversations idle for more than DAYS",
        epilog=PURGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    purge.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    purge.set_defaults(func=_cmd_purge)
    erase = privacy.add_parser(
        "erase",
        help="delete the conversations of one contract",
        epilog=ERASE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    erase.add_argument("--contract", required=True, metavar="NUMBER")
    erase.set_defaults(func=_cmd_erase)
