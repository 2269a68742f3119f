"""MMS attachments of a signed SMS webhook: documents for the sender's verified claim.

Twilio lists a message's attachments as ``NumMedia`` with ``MediaUrl{N}`` and
``MediaContentType{N}`` (N from 0; at most 10). Every one is taken in, in
order, for the open claim of the contract verified in that SMS conversation:
the verification proof is read from the conversation's stored tracker
(bot/rasa_server/verified.py), so neither the message nor anything else the
sender controls can name the contract. The URLs are fetched only from Twilio's
API host (bot/claims/media.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.claims.intake import IntakeResult, Outcome
from bot.claims.media import intake_mms_media

log = logging.getLogger(__name__)

# Twilio attaches at most 10 media to a message; a larger NumMedia is not Twilio's.
MAX_MEDIA = 10
# Twilio's own content type, used only to refuse without downloading what is
# clearly no document (a video, a voice memo, a contact card); whatever is
# downloaded is still recognised from its bytes.
NOT_DOCUMENTS = ("video/", "audio/", "text/")

VerifiedContract = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class Attachment:
    url: str
    content_type: str


def attachments(form: Mapping[str, str]) -> list[Attachment]:
    """The message's attachments, in order; none when NumMedia is missing or not a number."""
    try:
        count = int(form.get("NumMedia", "0") or "0")
    except ValueError:
        return []
    found = []
    for n in range(max(0, min(count, MAX_MEDIA))):
        url = form.get(f"MediaUrl{n}", "").strip()
        if url:
            found.append(Attachment(url, form.get(f"MediaContentType{n}", "").strip().lower()))
    return found


async def take_attachments(
    conversation_id: str, items: list[Attachment], verified_contract: VerifiedContract
) -> list[str]:
    """Add each attachment to the verified contract's open claim; one reply per distinct outcome."""
    contract = await verified_contract(conversation_id)
    results: list[IntakeResult] = []
    for number, item in enumerate(items, 1):
        name = f"photo {number}"  # MMS media have no names; the reply names each by its place
        if contract and item.content_type.startswith(NOT_DOCUMENTS):
            results.append(IntakeResult(Outcome.WRONG_TYPE, filename=name))
        else:
            results.append(await intake_mms_media(contract, item.url, filename=name))
        if results[-1].outcome in (Outcome.NOT_VERIFIED, Outcome.NO_OPEN_CLAIM, Outcome.CLAIM_CLOSED):
            break  # the same answer for every other attachment: say it once
    log.info("MMS: %d attachment(s): %s", len(items), ", ".join(r.outcome.value for r in results))
    # Each accepted file is confirmed by name; the same refusal is said once.
    return list(dict.fromkeys(result.reply() for result in results))
