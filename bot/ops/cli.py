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

from bot.data.engine import REPO_ROOT, database_url, session_scope

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
    print(f"{'REFERENCE':<13} {'STATUS':<7} {'CONTRACT':<14} {'CHANNEL':<9} {'CREATED (UTC)':<17} REVIEW DUE")
    for c in claims:
        created = c.created_at.strftime("%Y-%m-%d %H:%M")
        print(
            f"{c.reference:<13} {c.status:<7} {c.contract_number:<14} {c.channel:<9}"
            f" {created:<17} {c.documents_review_due}"
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
