"""Contract CSV import: strict header, per-row validation, one transaction.

Problems are reported by line number with masked values only, since the file
carries names, ZIPs and VINs.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.data.engine import session_scope
from bot.data.models import CONTRACT_STATUSES
from bot.data.repository import ContractRow, upsert_contract
from bot.domain.identity import check_vin, mask_vin, normalize_name, normalize_zip, zip_is_real
from bot.domain.policy import parse_plan

COLUMNS = [
    "contract_number",
    "first_name",
    "last_name",
    "zip_code",
    "state",
    "vin",
    "vehicle_year",
    "vehicle_make",
    "vehicle_model",
    "plan",
    "has_gap",
    "purchase_date",
    "term_months",
    "deductible",
    "claims_filed",
    "status",
    "contract_price",
]

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)
_CONTRACT_NUMBER_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")
_VIN_PROBLEMS = {
    "length": "must be 17 characters",
    "characters": "contains a character not allowed in VINs (I, O, Q or punctuation)",
    "check_digit": "check digit does not match",
}


class HeaderError(ValueError):
    """The file's header is not exactly COLUMNS; nothing is imported."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    # (line number, reasons) for every rejected row
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        return (
            f"imported {self.imported} (created {self.created}, updated {self.updated}),"
            f" rejected {len(self.rejected)}"
        )


def parse_row(raw: dict[str, str]) -> tuple[ContractRow | None, list[str]]:
    """Validate one CSV record: (row, []) when valid, else (None, reasons)."""
    v = {key: (raw.get(key) or "").strip() for key in COLUMNS}
    problems: list[str] = []

    def need(ok: bool, message: str) -> None:
        if not ok:
            problems.append(message)

    number = v["contract_number"].upper()
    need(
        bool(_CONTRACT_NUMBER_RE.fullmatch(number)),
        "contract_number: 3-32 letters, digits or '-'",
    )
    need(0 < len(v["first_name"]) <= 100, "first_name: 1-100 characters")
    need(
        bool(normalize_name(v["last_name"])) and len(v["last_name"]) <= 100,
        "last_name: up to 100 characters, with letters",
    )

    zip5 = normalize_zip(v["zip_code"])
    need(zip5 is not None and zip_is_real(zip5), "zip_code: not a known US ZIP code")
    state = v["state"].upper()
    need(state in US_STATES, "state: not a 2-letter US state code")

    vin = check_vin(v["vin"])
    if vin.problem:
        problems.append(f"vin ({mask_vin(v['vin'])}): {_VIN_PROBLEMS[vin.problem]}")

    year = _int(v["vehicle_year"])
    need(
        year is not None and 1980 <= year <= date.today().year + 2,
        "vehicle_year: not a plausible year",
    )
    need(0 < len(v["vehicle_make"]) <= 50, "vehicle_make: 1-50 characters")
    need(0 < len(v["vehicle_model"]) <= 50, "vehicle_model: 1-50 characters")

    try:
        plan = parse_plan(v["plan"]).value
    except ValueError:
        plan = ""
        problems.append("plan: must be Basic, Value, Major or Feature Guard")

    has_gap = {"true": True, "false": False}.get(v["has_gap"].lower())
    need(has_gap is not None, "has_gap: must be true or false")

    purchase_date = _iso_date(v["purchase_date"])
    need(purchase_date is not None, "purchase_date: must be YYYY-MM-DD")
    term = _int(v["term_months"])
    need(term is not None and 1 <= term <= 120, "term_months: whole number from 1 to 120")
    claims = _int(v["claims_filed"])
    need(claims is not None and claims >= 0, "claims_filed: whole number >= 0")
    status = v["status"].lower()
    need(status in CONTRACT_STATUSES, "status: must be active, cancelled or transferred")

    deductible, ok = _money(v["deductible"])
    need(ok, "deductible: empty or an amount >= 0 with at most 2 decimals")
    price, ok = _money(v["contract_price"])
    need(ok, "contract_price: empty or an amount >= 0 with at most 2 decimals")

    if problems:
        return None, problems
    return (
        ContractRow(
            contract_number=number,
            first_name=v["first_name"],
            last_name=v["last_name"],
            zip_code=zip5,  # type: ignore[arg-type]  # validated above
            state=state,
            vin=vin.vin,  # type: ignore[arg-type]
            vehicle_year=year,  # type: ignore[arg-type]
            vehicle_make=v["vehicle_make"],
            vehicle_model=v["vehicle_model"],
            plan=plan,
            has_gap=has_gap,  # type: ignore[arg-type]
            purchase_date=purchase_date,  # type: ignore[arg-type]
            term_months=term,  # type: ignore[arg-type]
            deductible=deductible,
            claims_filed=claims,  # type: ignore[arg-type]
            status=status,
            contract_price=price,
        ),
        [],
    )


def _int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _iso_date(text: str) -> date | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _money(text: str) -> tuple[Decimal | None, bool]:
    """(amount, valid); an empty cell is a valid unknown amount."""
    if not text:
        return None, True
    if not re.fullmatch(r"[0-9]{1,8}(\.[0-9]{1,2})?", text):
        return None, False
    return Decimal(text).quantize(Decimal("0.01")), True


def read_rows(path: Path) -> tuple[list[tuple[int, ContractRow]], list[tuple[int, list[str]]]]:
    """Parse the file: (valid rows, rejected rows), each with its line number.

    Raises HeaderError for a wrong header. A contract number repeated in the
    file is rejected at its later lines so one file cannot say two things.
    """
    good: list[tuple[int, ContractRow]] = []
    bad: list[tuple[int, list[str]]] = []
    first_line: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != COLUMNS:
            raise HeaderError("header must be exactly: " + ",".join(COLUMNS))
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if len(record) != len(COLUMNS):
                bad.append((line, [f"expected {len(COLUMNS)} fields, found {len(record)}"]))
                continue
            row, problems = parse_row(dict(zip(COLUMNS, record)))
            if row is None:
                bad.append((line, problems))
            elif row.contract_number in first_line:
                first = first_line[row.contract_number]
                bad.append((line, [f"contract_number repeats line {first}"]))
            else:
                first_line[row.contract_number] = line
                good.append((line, row))
    return good, bad


def import_contracts(path: Path, url: str | None = None) -> ImportResult:
    """Upsert every valid row in one transaction; report the rejected ones."""
    good, bad = read_rows(path)
    result = ImportResult(rejected=bad)
    with session_scope(url) as session:
        for _line, row in good:
            if upsert_contract(session, row):
                result.created += 1
            else:
                result.updated += 1
    return result
