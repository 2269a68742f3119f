"""The claims center's settings (bot/settings.py): defaults and malformed values."""

from datetime import time

import pytest

from bot.settings import ROOT, SettingError, load


def test_defaults():
    conf = load({})
    assert conf.claims_storage_dir == str(ROOT / "var" / "claims")
    assert (conf.claims_max_file_bytes, conf.claims_max_files, conf.claims_max_claim_bytes) == (
        10 * 1024 * 1024,
        20,
        100 * 1024 * 1024,
    )
    assert (conf.claims_business_time_zone, conf.claims_business_day_end) == ("America/New_York", time(17))
    assert conf.sms_quiet_hours == (time(21), time(9))
    assert conf.twilio_api_url == "https://api.twilio.com"
    assert conf.claims_upload_secret == "" and conf.contact_encryption_keys == ()
    assert conf.web_public_url == "http://localhost:8080"


def test_values():
    conf = load(
        {
            "SMS_QUIET_HOURS": "20:30-08:00",
            "CLAIMS_BUSINESS_TIME_ZONE": "America/Chicago",
            "CLAIMS_BUSINESS_DAY_END": "16:30",
            "CONTACT_ENCRYPTION_KEY": "new, old",
            "TWILIO_API_URL": "http://127.0.0.1:9/",
            "TWILIO_MEDIA_HOSTS": "mms.twiliocdn.com  other.example",
            "WEB_PUBLIC_URL": "https://help.example.test/",
        }
    )
    assert conf.sms_quiet_hours == (time(20, 30), time(8))
    assert conf.claims_business_day_end == time(16, 30)
    assert conf.contact_encryption_keys == ("new", "old")
    assert conf.twilio_api_url == "http://127.0.0.1:9"
    assert conf.twilio_media_hosts == ("mms.twiliocdn.com", "other.example")
    assert conf.web_public_url == "https://help.example.test"
    assert load({"SMS_QUIET_HOURS": "off"}).sms_quiet_hours is None


@pytest.mark.parametrize(
    "environ",
    [
        {"CLAIMS_BUSINESS_TIME_ZONE": "Eastern"},
        {"CLAIMS_BUSINESS_DAY_END": "5pm"},
        {"SMS_QUIET_HOURS": "21:00"},
        {"SMS_QUIET_HOURS": "late-early"},
        {"CLAIMS_MAX_FILE_BYTES": "10MB"},
    ],
)
def test_malformed_values_name_their_variable(environ):
    with pytest.raises(SettingError, match=next(iter(environ))):
        load(environ)
