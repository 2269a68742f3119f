"""VINs and ZIP codes in a message, the way people type them.

A VIN comes whole ("5YJ3E1EAXPF402917"), in groups ("5YJ3 E1EA XPF4 02917",
"1ftew 1ep0l k5302 64"), with dashes or in lower case; its pieces are never
read as a ZIP code. A correction names the wrong value too ("zip is 98101
not 98110", "98110 should be 98101"): the negated value is dropped, and when
two different values are left the message is ambiguous and gives none (the
form asks again rather than keep a wrong one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.domain.identity import check_typed_vin

VIN_LENGTH = 17
_GROUP = re.compile(r"[A-Za-z0-9]+")
# Groups typed one after another, separated by spaces or dashes only.
_GROUP_RUN = re.compile(r"[A-Za-z0-9]+(?:[ \t]*[-‐‑–—][ \t]*[A-Za-z0-9]+|[ \t]+[A-Za-z0-9]+)*")
_ZIP = re.compile(r"(?<![A-Za-z0-9])(\d{5})(?:-\d{4})?(?![A-Za-z0-9])")
_NEGATED_BEFORE = re.compile(
    r"(?:\bnot|\bisn'?t|\bwasn'?t|\bnever|\binstead\s+of|\brather\s+than)"
    r"(?:\s+(?:the|a|my))?(?:\s+(?:zip|zipcode|postal|code|vin|number|one))*\s*[:#]?\s*$",
    re.IGNORECASE,
)
_NEGATED_AFTER = re.compile(
    r"^\s*(?:(?:is|was)\s+(?:wrong|incorrect|a\s+typo|not\s+right)|should\s+(?:be|have\s+been)|->|→|=>)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Value:
    entity: str  # "vin" | "zip_code"
    start: int
    end: int
    value: str


def _negated(text: str, start: int, end: int) -> bool:
    return bool(_NEGATED_BEFORE.search(text[:start]) or _NEGATED_AFTER.match(text[end:]))


def _vin_windows(text: str) -> Iterator[tuple[int, int, str, list[str]]]:
    """(start, end, joined, groups) for every run of consecutive groups that makes 17 characters."""
    for run in _GROUP_RUN.finditer(text):
        groups = list(_GROUP.finditer(run.group()))
        for i in range(len(groups)):
            length = 0
            for j in range(i, len(groups)):
                length += len(groups[j].group())
                if length > VIN_LENGTH:
                    break
                if length == VIN_LENGTH:
                    parts = [g.group() for g in groups[i : j + 1]]
                    joined = "".join(parts).upper()
                    if re.search(r"\d", joined) and re.search(r"[A-Z]", joined):
                        yield run.start() + groups[i].start(), run.start() + groups[j].end(), joined, parts


def _looks_typed_as_vin(parts: list[str]) -> bool:
    """A VIN with a typo still reads as one when typed whole, or in three or more
    groups that all hold a digit and don't start with a ZIP code."""
    if len(parts) == 1:
        return True
    return (
        len(parts) >= 3 and all(re.search(r"\d", p) for p in parts) and not re.fullmatch(r"\d{5}", parts[0])
    )


def find_vin(text: str) -> Value | None:
    """The one VIN the message gives (a valid one first), or None."""
    valid: list[Value] = []
    plausible: list[Value] = []
    for start, end, joined, parts in _vin_windows(text):
        check = check_typed_vin(joined)
        if check.ok and check.vin:
            valid.append(Value("vin", start, end, check.vin))
        elif _looks_typed_as_vin(parts):
            plausible.append(Value("vin", start, end, joined))
    return _the_one(text, valid) or _the_one(text, _apart(plausible, valid))


def find_zip(text: str, taken: list[Value]) -> Value | None:
    """The one ZIP code the message gives outside ``taken`` spans (a VIN's pieces), or None."""
    found = [
        Value("zip_code", m.start(), m.end(), m.group(1))
        for m in _ZIP.finditer(text)
        if not any(t.start < m.end() and m.start() < t.end for t in taken)
    ]
    return _the_one(text, found)


def _apart(values: list[Value], taken: list[Value]) -> list[Value]:
    return [v for v in values if not any(t.start < v.end and v.start < t.end for t in taken)]


def _the_one(text: str, values: list[Value]) -> Value | None:
    kept = [v for v in values if not _negated(text, v.start, v.end)]
    if len({v.value for v in kept}) != 1:
        return None
    return kept[0]
