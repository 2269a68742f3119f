"""GAP claim statuses and the changes a clerk may make (docs/claims.md).

``open`` is the status a claim is submitted in (the page: "once you've started
your claim"); ``denied`` and ``paid`` are final. A contract holds at most one
non-final claim (bot/data/models.py keeps that with a UNIQUE marker).
"""

from __future__ import annotations

OPEN = "open"
IN_REVIEW = "in_review"
MORE_DOCUMENTS_NEEDED = "more_documents_needed"
APPROVED = "approved"
DENIED = "denied"
PAID = "paid"

STATUSES = (OPEN, IN_REVIEW, MORE_DOCUMENTS_NEEDED, APPROVED, DENIED, PAID)
FINAL_STATUSES = (DENIED, PAID)
NON_FINAL_STATUSES = tuple(s for s in STATUSES if s not in FINAL_STATUSES)

# From each status, where a clerk may move the claim. Nothing returns to
# ``open``; an approved claim can still be paid, or denied (e.g. the payoff
# found a problem); final statuses never change.
TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({IN_REVIEW, MORE_DOCUMENTS_NEEDED, APPROVED, DENIED}),
    IN_REVIEW: frozenset({MORE_DOCUMENTS_NEEDED, APPROVED, DENIED}),
    MORE_DOCUMENTS_NEEDED: frozenset({IN_REVIEW, APPROVED, DENIED}),
    APPROVED: frozenset({PAID, DENIED}),
    DENIED: frozenset(),
    PAID: frozenset(),
}


def is_final(status: str) -> bool:
    """Final claims take no documents and no further changes."""
    return status in FINAL_STATUSES


def can_change(current: str, new: str) -> bool:
    """True when a claim in ``current`` may move to ``new`` (a different status)."""
    return new in TRANSITIONS.get(current, frozenset())
