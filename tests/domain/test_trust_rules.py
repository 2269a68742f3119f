"""Derived keys, signed values, verification proofs and typed payloads (bot/domain)."""

from __future__ import annotations

import pytest

from bot.domain import proof, signed
from bot.domain.keys import MissingSecret, Purpose, derive, fernet_key, keyed_hash
from bot.domain.payloads import is_offered_payload, is_typed_payload, payload_intent

KEY = derive("a secret", Purpose.VERIFICATION)
NOW = 1_800_000_000.0


def test_each_purpose_gets_its_own_key_and_no_secret_means_no_key() -> None:
    keys = {derive("a secret", purpose) for purpose in Purpose}
    assert len(keys) == len(Purpose) and all(len(k) == 32 for k in keys)
    assert derive("another secret", Purpose.VERIFICATION) != KEY
    assert len(fernet_key("a secret")) == 44  # urlsafe base64 of 32 bytes
    with pytest.raises(MissingSecret, match="ASSISTANT_SECRET_KEY"):
        derive("", Purpose.CLIENT)


def test_keyed_hashes_hide_the_value_and_separate_kinds() -> None:
    vin = "5YJ3E1EAXPF402917"
    pseudonym = keyed_hash(KEY, "vin", vin)
    assert len(pseudonym) == 32 and vin not in pseudonym
    assert pseudonym == keyed_hash(KEY, "vin", vin)
    assert pseudonym != keyed_hash(KEY, "contract", vin)
    assert pseudonym != keyed_hash(derive("other", Purpose.VERIFICATION), "vin", vin)


def test_signed_values_expire_and_cannot_be_altered_or_forged() -> None:
    token = signed.dumps(KEY, ["APP-1", "rest:a"], now=NOW)
    assert signed.loads(KEY, token, max_age=60, now=NOW + 59) == ["APP-1", "rest:a"]
    assert signed.loads(KEY, token, max_age=60, now=NOW + 61) is None
    assert signed.loads(derive("other", Purpose.VERIFICATION), token, max_age=60, now=NOW) is None
    tampered = token.replace(token.split(".")[0], signed.dumps(KEY, ["APP-2", "rest:a"]).split(".")[0])
    assert signed.loads(KEY, tampered, max_age=60, now=NOW) is None
    for junk in (None, 42, "", "x" * 2000, "not.a.token"):
        assert signed.loads(KEY, junk, max_age=60, now=NOW) is None


def test_a_proof_names_its_contract_in_its_own_conversation_only() -> None:
    token = proof.issue(KEY, "APP-100103", "socketio:abc", now=NOW)
    assert proof.proven_contract(KEY, token, "socketio:abc", max_age=900, now=NOW + 899) == "APP-100103"
    assert proof.proven_contract(KEY, token, "rest:abc", max_age=900, now=NOW) is None
    assert proof.proven_contract(KEY, token, "socketio:abc", max_age=900, now=NOW + 901) is None
    assert proof.proven_contract(KEY, True, "socketio:abc", max_age=900, now=NOW) is None  # a bare "verified"
    odd = signed.dumps(KEY, {"contract": "APP-100103"}, now=NOW)  # signed, but not a proof
    assert proof.proven_contract(KEY, odd, "socketio:abc", max_age=900, now=NOW) is None


OFFERED = {"/lookup_contract", "/deny", "/restart"}


@pytest.mark.parametrize(
    "text, offered_payload",
    [
        ("/lookup_contract", True),  # the button just offered
        ("  /deny ", True),
        ('/lookup_contract{"last_name": "Smith-Jones", "zip_code": "98101"}', False),  # entities added
        ("/lookup_contract@1.0", False),
        ("/ask_rental", False),  # not offered in the last turn
        ("/restart", False),  # never from a customer, even if offered
        ("/back", False),
        ("/session_start", False),
        ("/ /lookup_contract", False),
        ("is my rental covered?", False),
    ],
)
def test_only_an_offered_button_payload_is_a_payload(text: str, offered_payload: bool) -> None:
    assert is_offered_payload(text, OFFERED) is offered_payload
    assert is_typed_payload(text, OFFERED) is (text.strip().startswith("/") and not offered_payload)


def test_payload_intent() -> None:
    assert payload_intent('/lookup_contract{"vin": "x"}') == "lookup_contract"
    assert payload_intent("/greet@0.5") == "greet"
    assert payload_intent(" /restart ") == "restart"
