"""What a verified customer hears when they ask about their claim: state, documents, review date."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.content.messages import claims_text
from bot.data.claims import ClaimSummary, claim_summary
from bot.settings import Settings, settings


def _day(day: date) -> str:
    return f"{day:%B} {day.day}"


def claim_status_summary(contract_number: str, conf: Settings | None = None) -> ClaimSummary | None:
    """The contract's latest claim; None when it has none. Only for the verified contract."""
    conf = conf or settings()
    return claim_summary(contract_number, ZoneInfo(conf.claims_business_time_zone))


def summary_text(summary: ClaimSummary) -> str:
    """The summary as one reply (claims_messages.yml)."""
    if summary.documents:
        listed = ", ".join(
            claims_text("claim_summary_document", filename=name, received_on=_day(day))
            for name, day in summary.documents
        )
        documents = claims_text(
            "claim_summary_documents",
            document_list=listed,
            review_due=_day(summary.review_due) if summary.review_due else "",
        )
    else:
        documents = claims_text("claim_summary_no_documents")
    return claims_text(
        "claim_summary",
        claim_reference=summary.reference,
        status_label=claims_text(f"status_label_{summary.status}"),
        documents_text=documents,
    )
