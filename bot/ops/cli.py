"""Admin CLI: ``python -m bot GROUP COMMAND``.

Built-in groups: db, contracts, claims, demo. Another part of the package can
add its own group without editing this file: a module ``bot/<pkg>/commands.py``
defining ``add_commands(subparsers)`` is picked up automatically.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.data.claims import ClaimRecord
from bot.data.engine import REPO_ROOT, database_url, session_scope
from bot.domain.claim_status import STATUSES

DEMO_CSV = REPO_ROOT / "data" / "demo" / "contracts.csv"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # bot/

Handler = Callable[[argparse.Namespace], int]

IMPORT_EPILOG = """\
exit status:
  0  every row imported (or the file had no rows)
  1  some rows were rejected (listed on stderr); the valid rows were still imported
  2  the file is missing or its header is wrong; nothing was imported
Rows are upserted by contract_number in a single transaction, so re-importing
a file is safe and a database error leaves nothing half-written."""


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.data.migrate import upgrade

    url = database_url()
    upgrade(url)
    print(f"database is up to date: {make_url(url).render_as_string(hide_password=True)}")
    return 0


def _cmd_contracts_import(args: argparse.Namespace) -> int:
    from bot.data.contracts_csv import HeaderError, import_contracts

    path = Path(args.file)
    try:
        result = import_contracts(path)
    except (HeaderError, OSError) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 2
    for line, reasons in result.rejected:
        print(f"{path}: line {line}: rejected: {'; '.join(reasons)}", file=sys.stderr)
    print(result.summary())
    return 1 if result.rejected else 0


def _money(amount: Decimal | None) -> str:
    return "unknown" if amount is None else f"${amount:,.2f}"


def _cmd_contracts_show(args: argparse.Namespace) -> int:
    from bot.data.services import get_contract_view, latest_gap_claim

    c = get_contract_view(args.number)
    if c is None:
        print(f"no contract {args.number.strip().upper()}", file=sys.stderr)
        return 1
    claim = latest_gap_claim(c.contract_number)
    lines = [
        f"Contract {c.contract_number} ({c.status})",
        f"  Customer:      {c.first_name} {c.last_name}",
        f"  ZIP / state:   {c.zip_code} / {c.state} (state of purchase)",
        f"  Vehicle:       {c.vehicle}, VIN {c.masked_vin}",
        f"  Plan:          {c.plan.value}; GAP addendum: {'yes' if c.has_gap else 'no'}",
        f"  Term:          {c.purchase_date} to {c.end_date} ({c.term_months} months)",
        f"  Deductible:    {_money(c.deductible)}",
        f"  Price:         {_money(c.contract_price)}",
        f"  Claims filed:  {c.claims_filed}",
        "  GAP claim:     "
        + (
            f"{claim.reference} ({claim.status}, documents review due {claim.documents_review_due})"
            if claim
            else "none"
        ),
    ]
    print("\n".join(lines))
    return 0


def _cmd_claims_list(args: argparse.Namespace) -> int:
    from bot.data.repository import list_claims
    from bot.data.services import claim_view

    with session_scope() as session:
        claims = [claim_view(c, c.contract.contract_number) for c in list_claims(session)]
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "reference": c.reference,
                        "status": c.status,
                        "contract_number": c.contract_number,
                        "channel": c.channel,
                        "created_at": c.created_at.isoformat(),
                        "documents_review_due": c.documents_review_due.isoformat(),
                    }
                    for c in claims
                ],
                indent=2,
            )
        )
        return 0
    if not claims:
        print("no GAP claims")
        return 0
    print(
        f"{'REFERENCE':<13} {'STATUS':<21} {'CONTRACT':<14} {'CHANNEL':<9} {'CREATED (UTC)':<17} REVIEW DUE"
    )
    for c in claims:
        created = c.created_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{c.reference:<13} {c.status:<21} {c.contract_number:<14} {c.channel:<9}"
            f" {created:<17} {c.documents_review_due}"
        )
    return 0


SET_STATUS_EPILOG = """\
exit status:
  0  the status changed (or the claim already had it: nothing written)
  1  no claim has this reference
  2  usage error, e.g. a status that does not exist (listed above)
  3  the claim's current status cannot change to this one (final claims never change)
The change, its history entry and the customer's update (text or chat) are
written in one transaction; the claims worker delivers the update."""


def _claim_json(record: ClaimRecord) -> dict[str, object]:
    return {
        "reference": record.reference,
        "status": record.status,
        "final": record.final,
        "contract_number": record.contract_number,
        "channel": record.channel,
        "created_at": record.created_at.isoformat(),
        "documents_review_due": record.documents_review_due.isoformat(),
        "notify_channel": record.notify_channel,
        "documents": [
            {
                "filename": d.filename,
                "content_type": d.content_type,
                "size": d.size,
                "sha256": d.sha256,
                "channel": d.channel,
                "received_at": d.received_at.isoformat(),
                "review_due": d.review_due.isoformat(),
            }
            for d in record.documents
        ],
        "history": [
            {
                "status": h.status,
                "previous_status": h.previous_status,
                "changed_at": h.changed_at.isoformat(),
                "actor": h.actor,
                "note": h.note,
            }
            for h in record.history
        ],
        "notifications": [
            {
                "channel": n.channel,
                "state": n.state,
                "attempts": n.attempts,
                "created_at": n.created_at.isoformat(),
                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                "last_error": n.last_error,
            }
            for n in record.notifications
        ],
    }


def _find_claim(reference: str) -> ClaimRecord | None:
    from bot.data.claims import get_claim_record

    record = get_claim_record(reference)
    if record is None:
        print(f"no GAP claim {reference.strip().upper()}", file=sys.stderr)
    return record


def _cmd_claims_show(args: argparse.Namespace) -> int:
    record = _find_claim(args.reference)
    if record is None:
        return 1
    if args.json:
        print(json.dumps(_claim_json(record), indent=2))
        return 0
    lines = [
        f"GAP claim {record.reference}: {record.status}{' (final)' if record.final else ''}",
        f"  Contract:      {record.contract_number}",
        f"  Opened:        {record.created_at:%Y-%m-%d %H:%M} UTC via {record.channel}",
        f"  Review due:    {record.documents_review_due}",
        f"  Updates go to: {record.notify_channel or 'nobody (no contact stored)'}",
        f"  Documents ({len(record.documents)}):",
        *(
            f"    {d.received_at:%Y-%m-%d %H:%M} UTC  {d.filename}  {d.content_type}  {d.size} bytes"
            f"  via {d.channel}  review due {d.review_due}"
            for d in record.documents
        ),
        "  Updates:",
        *(
            f"    {n.created_at:%Y-%m-%d %H:%M} UTC  {n.channel:<6} {n.state:<9} attempts {n.attempts}"
            + (f"  ({n.last_error})" if n.last_error else "")
            for n in record.notifications
        ),
        "  History:",
        *(
            f"    {h.changed_at:%Y-%m-%d %H:%M} UTC  {h.status:<22} by {h.actor}"
            + (f": {h.note}" if h.note else "")
            for h in record.history
        ),
    ]
    print("\n".join(lines))
    return 0


def _cmd_claims_set_status(args: argparse.Namespace) -> int:
    from bot.data.claims import ChangeRefused, UnknownClaim, set_claim_status

    try:
        change = set_claim_status(args.reference, args.status, note=args.note, actor="clerk")
    except UnknownClaim:
        print(f"no GAP claim {args.reference.strip().upper()}", file=sys.stderr)
        return 1
    except ChangeRefused as refused:
        print(f"error: GAP claim {args.reference.strip().upper()}: {refused}", file=sys.stderr)
        return 3
    if not change.changed:
        print(f"GAP claim {change.reference} is already {change.status}; nothing changed")
        return 0
    queued = (
        "; customer update queued" if change.notifications else "; no contact stored, so no update is sent"
    )
    print(f"GAP claim {change.reference}: {change.previous_status} -> {change.status}{queued}")
    return 0


def _cmd_claims_documents(args: argparse.Namespace) -> int:
    from bot.claims.extract import ExtractError, extract_documents

    record = _find_claim(args.reference)
    if record is None:
        return 1
    if args.extract is None:
        for number, d in enumerate(record.documents, 1):
            print(f"{number:>3}  {d.filename}  {d.content_type}  {d.size} bytes  sha256 {d.sha256}")
        if not record.documents:
            print(f"GAP claim {record.reference} has no documents")
        return 0
    try:
        written = extract_documents(record, Path(args.extract))
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    print(
        f"extracted {len(written)} document(s) of GAP claim {record.reference} to {args.extract}",
        file=sys.stderr,
    )
    return 0


def _cmd_demo_seed(args: argparse.Namespace) -> int:
    from bot.data.contracts_csv import import_contracts
    from bot.data.repository import count_contracts

    with session_scope() as session:
        existing = count_contracts(session)
    if existing:
        print(f"demo seed skipped: the database already holds {existing} contracts")
        return 0
    result = import_contracts(DEMO_CSV)
    print(f"demo seed: {result.summary()}")
    return 1 if result.rejected else 0


def _add_builtin_commands(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="command", required=True)
    db.add_parser("upgrade", help="apply Alembic migrations up to head").set_defaults(func=_cmd_db_upgrade)

    contracts = sub.add_parser("contracts", help="contract records").add_subparsers(
        dest="command", required=True
    )
    imp = contracts.add_parser(
        "import",
        help="import or update contracts from a CSV file",
        epilog=IMPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", help="CSV with the header: contract_number,first_name,...,contract_price")
    imp.set_defaults(func=_cmd_contracts_import)
    show = contracts.add_parser("show", help="show one contract (VIN masked); exit 1 if unknown")
    show.add_argument("number", help="contract number")
    show.set_defaults(func=_cmd_contracts_show)

    claims = sub.add_parser("claims", help="GAP claims").add_subparsers(dest="command", required=True)
    lst = claims.add_parser("list", help="list GAP claims, oldest first")
    lst.add_argument("--json", action="store_true", help="print JSON instead of a table")
    lst.set_defaults(func=_cmd_claims_list)
    show_claim = claims.add_parser("show", help="one claim: status, documents, history; exit 1 if unknown")
    show_claim.add_argument("reference", help="claim reference, e.g. GAP-7K2M9QXR")
    show_claim.add_argument("--json", action="store_true", help="print JSON instead of text")
    show_claim.set_defaults(func=_cmd_claims_show)
    set_status = claims.add_parser(
        "set-status",
        help="change a claim's status and queue the customer's update",
        epilog=SET_STATUS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    set_status.add_argument("reference", help="claim reference")
    set_status.add_argument("status", choices=STATUSES, help="the new status")
    set_status.add_argument("--note", help="why (kept in the history; never sent to the customer)")
    set_status.set_defaults(func=_cmd_claims_set_status)
    documents = claims.add_parser("documents", help="list a claim's documents, or write them to a folder")
    documents.add_argument("reference", help="claim reference")
    documents.add_argument(
        "--extract", metavar="DIR", help="write each document to DIR (checked against its SHA-256)"
    )
    documents.set_defaults(func=_cmd_claims_documents)

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="command", required=True)
    demo.add_parser(
        "seed", help=f"import {DEMO_CSV.relative_to(REPO_ROOT)} if there are no contracts yet"
    ).set_defaults(func=_cmd_demo_seed)


def _extension_modules() -> list[str]:
    """``bot.<pkg>.commands`` for every subpackage that ships such a module."""
    return sorted(f"bot.{path.parent.name}.commands" for path in PACKAGE_DIR.glob("*/commands.py"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="group", required=True, metavar="GROUP")
    _add_builtin_commands(sub)
    for name in _extension_modules():
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.func
    try:
        return handler(args)
    except OperationalError as exc:
        print(
            f"database error: {exc.orig}\n(has `python -m bot db upgrade` been run?)",
            file=sys.stderr,
        )
        return 1
