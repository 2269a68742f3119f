"""MMS pictures: download a Twilio media URL safely, then take it in as a claim document.

Only URLs on the host of TWILIO_API_URL (Twilio's API by default) are fetched,
with HTTP basic auth (TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN), a size cap
(CLAIMS_MAX_FILE_BYTES, enforced while streaming) and a total timeout
(CLAIMS_MEDIA_TIMEOUT_SECONDS). Redirects are followed by hand: only to the API
host or a host listed in TWILIO_MEDIA_HOSTS, over https (or the API's own
scheme), and the credentials go to the API host only. A message's MediaUrl is
customer-controlled input as far as this code knows: it is never fetched from
anywhere else.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot.claims.intake import IntakeResult, Outcome, Upload, intake_for_contract
from bot.settings import Settings, settings

log = logging.getLogger(__name__)
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


class MediaProblem(str, enum.Enum):
    NOT_CONFIGURED = "not_configured"  # no Twilio account SID or auth token
    HOST = "host"  # not the Twilio API's host
    REDIRECT = "redirect"  # redirected somewhere not allowed, or too often
    TOO_BIG = "too_big"
    TIMEOUT = "timeout"
    HTTP = "http"  # an error status or a broken connection


class MediaRefused(Exception):
    def __init__(self, problem: MediaProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


async def fetch_media(url: str, conf: Settings | None = None) -> bytes:
    """The bytes at a Twilio media URL; raises MediaRefused."""
    conf = conf or settings()
    if not conf.twilio_account_sid or not conf.twilio_auth_token:
        raise MediaRefused(MediaProblem.NOT_CONFIGURED)
    api = _origin(conf.twilio_api_url)
    if _origin(url) != api:
        raise MediaRefused(MediaProblem.HOST)
    auth = aiohttp.BasicAuth(conf.twilio_account_sid, conf.twilio_auth_token)
    timeout = aiohttp.ClientTimeout(total=conf.claims_media_timeout_seconds)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _ in range(MAX_REDIRECTS + 1):
                on_api = _origin(url) == api
                async with session.get(url, auth=auth if on_api else None, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        url = urljoin(url, response.headers.get("Location", ""))
                        _check_redirect(url, api, conf)
                        continue
                    if response.status != 200:
                        raise MediaRefused(MediaProblem.HTTP, f"status {response.status}")
                    return await _read_capped(response, conf.claims_max_file_bytes)
            raise MediaRefused(MediaProblem.REDIRECT, "too many redirects")
    except asyncio.TimeoutError:
        raise MediaRefused(MediaProblem.TIMEOUT) from None
    except aiohttp.ClientError as exc:
        raise MediaRefused(MediaProblem.HTTP, type(exc).__name__) from None


def _check_redirect(url: str, api: tuple[str, str, int | None], conf: Settings) -> None:
    scheme, host, _ = _origin(url)
    if _origin(url) == api:
        return
    # https, or the API's own scheme (a local stand-in in tests)
    if scheme in ("https", api[0]) and host in {h.lower() for h in conf.twilio_media_hosts}:
        return
    raise MediaRefused(MediaProblem.REDIRECT, "to a host that is not allowed")


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    if response.content_length is not None and response.content_length > limit:
        raise MediaRefused(MediaProblem.TOO_BIG)
    data = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise MediaRefused(MediaProblem.TOO_BIG)
    return bytes(data)


async def intake_mms_media(
    contract_number: str | None, media_url: str, conf: Settings | None = None, filename: str | None = None
) -> IntakeResult:
    """Download one MMS picture and add it to the verified contract's open claim.

    The SMS channel calls this for each MediaUrlN of a signed webhook, with the
    contract its conversation verified (None: NOT_VERIFIED, nothing fetched).
    MMS media have no file name: ``filename`` is the one the channel gives it.
    """
    conf = conf or settings()
    if not contract_number:
        return IntakeResult(Outcome.NOT_VERIFIED)
    try:
        data = await fetch_media(media_url, conf)
    except MediaRefused as refused:
        log.warning("MMS media not taken: %s", refused)
        return IntakeResult(
            Outcome.TOO_BIG if refused.problem is MediaProblem.TOO_BIG else Outcome.MEDIA_UNAVAILABLE
        )
    return await asyncio.to_thread(
        intake_for_contract, contract_number, Upload(data, filename, "sms"), conf=conf
    )
