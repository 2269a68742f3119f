"""Fixtures for the claims center (a pytest plugin, see tests/conftest.py): claims-center
settings with documents under tmp_path, and an open claim on a demo contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.data import services
from bot.settings import Settings, settings
from tests.support import twilio_standin
from tests.support.twilio_standin import TwilioStandIn

CONTRACT = "APP-100103"  # Smith-Jones, ZIP 98101 (Seattle), Feature Guard with GAP
CONTACT_KEY = Fernet.generate_key().decode()


@pytest.fixture
def conf(demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("CLAIMS_STORAGE_DIR", str(tmp_path / "documents"))
    monkeypatch.setenv("CLAIMS_UPLOAD_SECRET", "test-upload-secret")
    monkeypatch.setenv("CONTACT_ENCRYPTION_KEY", CONTACT_KEY)
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://claims.example.test")
    yield settings()


@pytest.fixture
def api(conf: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TwilioStandIn]:
    """A local stand-in for Twilio's API (media behind basic auth, Messages), configured as TWILIO_API_URL."""
    with TwilioStandIn() as standin:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", twilio_standin.ACCOUNT_SID)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", twilio_standin.AUTH_TOKEN)
        monkeypatch.setenv("TWILIO_API_URL", standin.url)
        monkeypatch.setenv("CLAIMS_MEDIA_TIMEOUT_SECONDS", "0.5")
        yield standin


@pytest.fixture
def claim_ref(conf: Settings) -> str:
    claim, created = services.open_gap_claim(CONTRACT, "socketio")
    assert created
    return claim.reference


@pytest.fixture
def empty_db_url(isolated_database_url: str) -> str:
    """An empty, unmigrated database (SQLite here; tests/scaleout gives a PostgreSQL one)."""
    return isolated_database_url
