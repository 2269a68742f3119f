"""What the assistant says about a verified customer's claim: its status, and an upload link.

Blocking (run with ``asyncio.to_thread``); called by actions/claims.py with the
contract the conversation verified, never with one the customer merely named.
"""

from __future__ import annotations

from bot.claims.intake import size_text
from bot.claims.links import ClaimClosed, LinkRefused, issue_upload_link
from bot.claims.summary import claim_status_summary, summary_text
from bot.content.messages import claims_text
from bot.data.claims import SMS, WIDGET, UnknownClaim
from bot.settings import Settings, settings


def status_reply(contract_number: str, conf: Settings | None = None) -> str:
    """The latest claim's state, documents received with their dates and the review date."""
    summary = claim_status_summary(contract_number, conf)
    return summary_text(summary) if summary is not None else claims_text("status_no_claim")


def upload_link_reply(contract_number: str, conf: Settings | None = None) -> str:
    """A signed upload link for the contract's open claim, or why there is none."""
    conf = conf or settings()
    summary = claim_status_summary(contract_number, conf)
    if summary is None:
        return claims_text("upload_link_no_claim")
    try:
        link = issue_upload_link(summary.reference, conf)
    except (ClaimClosed, UnknownClaim):
        return claims_text("claim_closed", claim_reference=summary.reference)
    except LinkRefused:
        return claims_text("upload_link_unavailable")
    return claims_text(
        "upload_link",
        claim_reference=summary.reference,
        upload_link=link,
        link_hours=f"{conf.claims_upload_link_hours:g}",
        max_file_size=size_text(conf.claims_max_file_bytes),
    )


def updates_contact(input_channel: str, conversation_id: str) -> tuple[str, str] | None:
    """Where updates go for a claim opened (or confirmed) in this conversation: (channel, sender id).

    SMS: the keyed hash of the number (the conversation id without its ``sms:``);
    the widget: the conversation id, its socket.io room. REST has no way to
    reach the customer later: None, and its customers ask for the status.
    """
    channel, _, sender = conversation_id.partition(":")
    if input_channel == "sms" and channel == "sms" and sender:
        return SMS, sender
    if input_channel == "socketio":
        return WIDGET, conversation_id
    return None
