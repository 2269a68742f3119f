"""The proof that a conversation verified a contract: signed by the verify action.

A bare ``verified`` slot proves nothing (anyone who can post a tracker can set
it). The proof is signed over the contract number and the conversation id and
lapses ``max_age`` seconds after it was issued; the actions re-issue it with
each personal answer, so it lapses after that long idle. Every action that
reveals or changes a contract checks it (actions/common.py).
"""

from __future__ import annotations

from bot.domain import signed


def issue(key: bytes, contract_number: str, conversation_id: str, now: float | None = None) -> str:
    return signed.dumps(key, [contract_number, conversation_id], now)


def proven_contract(
    key: bytes, proof: object, conversation_id: str, max_age: float, now: float | None = None
) -> str | None:
    """The contract number ``proof`` vouches for in ``conversation_id``, or None."""
    value = signed.loads(key, proof, max_age, now)
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        return None
    contract_number, bound_to = value
    return contract_number if contract_number and bound_to == conversation_id else None
