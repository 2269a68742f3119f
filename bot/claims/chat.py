"""What the assistant says about a verified customer's claim: its status, and an upload link.

Blocking (run with ``asyncio.to_thread``); called by actions/contracts.py with the
contract the conversation verified, never with one the customer merely named.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.claims.intake import size_text
from bot.claims.links import ClaimClosed, LinkRefused, issue_upload_link
from bot.claims.summary import claim_status_summary, summary_text
from bot.content.messages import claims_text
from bot.data.claims import SMS, WIDGET, UnknownClaim
from bot.settings import Settings, settings


@dataclass(frozen=True)
class ClaimAnswer:
    text: str
    takes_documents: bool  # the claim is open for documents: the widget offers "Attach a document"


def status_reply(contract_number: str, conf: Settings | None = None) -> ClaimAnswer:
    """The latest claim's state, documents received with their dates and the review date."""
    summary = claim_status_summary(contract_number, conf)
    if summary is None:
        return ClaimAnswer(claims_text("status_no_claim"), False)
    return ClaimAnswer(summary_text(summary), not summary.final)


def upload_link_reply(contract_number: str, conf: Settings | None = None) -> ClaimAnswer:
    """A signed upload link for the contract's open claim, or why there is none."""
    conf = conf or settings()
    summary = claim_status_summary(contract_number, conf)
    if summary is None:
        return ClaimAnswer(claims_text("upload_link_no_claim"), False)
    try:
        link = issue_upload_link(summary.reference, conf)
    except (ClaimClosed, UnknownClaim):
        return ClaimAnswer(claims_text("claim_closed", claim_reference=summary.reference), False)
    except LinkRefused:
        return ClaimAnswer(claims_text("upload_link_unavailable"), not summary.final)
    text = claims_text(
        "upload_link",
        claim_reference=summary.reference,
        upload_link=link,
        link_hours=f"{conf.claims_upload_link_hours:g}",
        max_file_size=size_text(conf.claims_max_file_bytes),
    )
    return ClaimAnswer(text, True)


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
