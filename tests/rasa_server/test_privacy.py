"""Personal data never reaches a log line we control."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.ops.logs import JsonFormatter
from bot.ops.privacy import PersonalDataFilter, mask

SECRETS = ["5YJ3E1EAXPF402917", "98101", "98101-1234", "1-206-555-0199", "(206) 555-0199", "jane@example.com"]


@pytest.mark.parametrize("secret", SECRETS)
def test_mask_hides_identity_values(secret: str) -> None:
    assert secret not in mask(f"customer sent {secret} today")


def test_mask_hides_what_the_customer_typed_and_slot_values() -> None:
    line = "Received user message 'my name is Smith-Jones' with intent 'inform'; slots last_name: Smith-Jones"
    masked = mask(line)
    assert "Smith" not in masked and "[message]" in masked and "[redacted]" in masked


def test_mask_keeps_references_and_contract_numbers() -> None:
    assert mask("claim GAP-7K3Q9M2X on APP-100103") == "claim GAP-7K3Q9M2X on APP-100103"


def test_filter_masks_messages_args_and_tracebacks_as_json() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("test.privacy")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("lookup for vin %s zip %s", "5YJ3E1EAXPF402917", "98101")
        try:
            raise ValueError("bad VIN 5YJ3E1EAXPF402917 for jane@example.com")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = json.dumps(lines)
    assert all(secret not in text for secret in ["5YJ3E1EAXPF402917", "98101", "jane@example.com"])
    assert lines[0]["level"] == "warning" and "[vin]" in lines[0]["message"]
    assert "ValueError" in lines[1]["exception"]


def test_rasa_payload_warnings_lose_the_customers_text() -> None:
    """Rasa warns about a "/payload" it cannot read by quoting it (finding 4 of issue 10)."""
    line = (
        "UserWarning: Failed to parse arguments in line '/Quimbyson 66212 1HGCM82633A004352'. "
        "Expected the intent to be one of [['affirm']] but found Quimbyson 66212 1HGCM82633A004352."
        "Continuing with given line as user text."
    )
    masked = mask(line)
    assert "Quimbyson" not in masked and "66212" not in masked and "1HGCM82633A004352" not in masked
    assert "Failed to parse arguments in line [message]" in masked
