"""MMS media fetch: basic auth, the API host only, redirects checked, size cap, timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.claims.intake import Outcome
from bot.claims.media import MediaProblem, MediaRefused, fetch_media, intake_mms_media
from bot.settings import settings
from tests.support import samples
from tests.support.claims import CONTRACT
from tests.support.twilio_standin import Media, TwilioStandIn


@pytest.fixture
def elsewhere() -> Iterator[TwilioStandIn]:
    """Another server (another origin) that serves the same media without asking for credentials."""
    with TwilioStandIn() as standin:
        yield standin


def fetch(url: str) -> bytes:
    return asyncio.run(fetch_media(url, settings()))


def refused(url: str) -> MediaProblem:
    with pytest.raises(MediaRefused) as caught:
        fetch(url)
    return caught.value.problem


def test_fetches_with_basic_auth(api):
    url = api.add_media("ME1", Media(samples.jpeg()))
    assert fetch(url) == samples.jpeg()
    assert api.requests[-1][2] is True  # sent the Authorization header


def test_wrong_credentials_are_an_http_error(api, monkeypatch):
    url = api.add_media("ME1", Media(samples.jpeg()))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong")
    assert refused(url) is MediaProblem.HTTP


def test_without_credentials_nothing_is_fetched(api, monkeypatch):
    url = api.add_media("ME1", Media(samples.jpeg()))
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "")
    assert refused(url) is MediaProblem.NOT_CONFIGURED
    assert api.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:{port}/2010-04-01/Accounts/x/Messages/MM/Media/ME1",  # same machine, other host name
        "http://127.0.0.1:{other}/2010-04-01/Accounts/x/Messages/MM/Media/ME1",  # other port
        "https://127.0.0.1:{port}/2010-04-01/x",  # other scheme
        "file:///etc/passwd",
    ],
)
def test_only_the_api_host_is_fetched(api, elsewhere, url):
    assert refused(url.format(port=api.port, other=elsewhere.port)) is MediaProblem.HOST
    assert api.requests == [] and elsewhere.requests == []


def test_redirects_to_other_hosts_are_refused(api, elsewhere):
    target = elsewhere.add_media("ME2", Media(samples.jpeg()))
    url = api.add_media("ME1", Media(redirect_to=target))
    assert refused(url) is MediaProblem.REDIRECT
    assert elsewhere.requests == []


def test_redirects_to_a_listed_media_host_go_without_credentials(api, elsewhere, monkeypatch):
    monkeypatch.setenv("TWILIO_MEDIA_HOSTS", "localhost")
    target = elsewhere.add_media("ME2", Media(samples.jpeg(), public=True)).replace("127.0.0.1", "localhost")
    url = api.add_media("ME1", Media(redirect_to=target))
    assert fetch(url) == samples.jpeg()
    assert api.requests[-1][2] is True  # the API host got the credentials
    assert elsewhere.requests[-1][2] is False  # the media host never does


def test_redirect_on_the_api_host_is_followed(api):
    final = api.add_media("ME2", Media(samples.png()))
    url = api.add_media("ME1", Media(redirect_to=final))
    assert fetch(url) == samples.png()


def test_redirect_loops_stop(api):
    url = api.media_url("ME1")
    api.add_media("ME1", Media(redirect_to=url))
    assert refused(url) is MediaProblem.REDIRECT


@pytest.mark.parametrize("send_length", [True, False])
def test_size_cap_while_streaming(api, monkeypatch, send_length):
    monkeypatch.setenv("CLAIMS_MAX_FILE_BYTES", "50000")
    url = api.add_media("ME1", Media(b"\xff\xd8\xff" + b"\0" * 80_000, send_length=send_length))
    assert refused(url) is MediaProblem.TOO_BIG


def test_timeout(api):
    url = api.add_media("ME1", Media(samples.jpeg(), delay_seconds=1.5))
    assert refused(url) is MediaProblem.TIMEOUT


def test_missing_media_is_an_http_error(api):
    assert refused(api.media_url("ME404")) is MediaProblem.HTTP


def test_mms_picture_becomes_a_claim_document(api, claim_ref):
    url = api.add_media("ME1", Media(samples.jpeg(gps=True)))
    result = asyncio.run(intake_mms_media(CONTRACT, url))
    assert result.accepted and result.claim_reference == claim_ref
    assert result.document is not None and result.document.channel == "sms"
    assert result.document.filename == "document.jpg"


def test_mms_outcomes(api, claim_ref, monkeypatch):
    assert asyncio.run(intake_mms_media(None, api.media_url("ME1"))).outcome is Outcome.NOT_VERIFIED
    assert api.requests == []  # nothing fetched for an unverified conversation
    assert (
        asyncio.run(intake_mms_media(CONTRACT, "https://evil.example/x.jpg")).outcome
        is Outcome.MEDIA_UNAVAILABLE
    )
    monkeypatch.setenv("CLAIMS_MAX_FILE_BYTES", "100")
    big = api.add_media("ME3", Media(samples.jpeg()))
    assert asyncio.run(intake_mms_media(CONTRACT, big)).outcome is Outcome.TOO_BIG
