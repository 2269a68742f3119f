"""Verification throttling in the contracts database (Redis: tests/scaleout/test_shared_state.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from bot.data import services
from bot.data.services import Outcome
from bot.data.throttle import (
    DatabaseFailureCounter,
    Limits,
    VerificationThrottle,
    failure_counter,
    throttle_keys,
)

NOW = 1_800_000_000.0
HOUR = 3600.0
OWNER = ("Smith-Jones", "98101", "5YJ3E1EAXPF402917")  # APP-100103 in data/demo/contracts.csv
LIMITS = Limits(identity_limit=5, client_limit=10, window_seconds=HOUR)


def throttle() -> VerificationThrottle:
    return VerificationThrottle(DatabaseFailureCounter(), LIMITS)


def check(name: str, zip_code: str, vin: str, client: str, now: float, t: VerificationThrottle) -> Outcome:
    return services.check_identity([name], zip_code, vin, client, t, now).outcome


def test_the_counter_counts_within_the_window(db: str) -> None:
    counter = DatabaseFailureCounter()
    counter.record(["a", "b"], at=NOW, forget_before=NOW - HOUR)
    counter.record(["a"], at=NOW + 10, forget_before=NOW + 10 - HOUR)
    assert counter.counts(["a", "b", "c"], since=NOW - HOUR) == {"a": 2, "b": 1}
    assert counter.counts(["a"], since=NOW + 5) == {"a": 1}
    counter.record(["c"], at=NOW + 2 * HOUR, forget_before=NOW + HOUR)  # drops what aged out
    assert counter.counts(["a", "b", "c"], since=0) == {"c": 1}


def test_keys_are_pseudonyms_and_every_check_has_as_many(db: str) -> None:
    with_contract = throttle_keys("5YJ3E1EAXPF402917", ["APP-100103"], "client-1")
    without = throttle_keys("1HGFE2F56MA104232", [], "client-1")
    assert len(with_contract.all) == len(without.all) == 3
    assert not any("5YJ3E1EAXPF402917" in k or "APP-100103" in k for k in with_contract.all)
    assert with_contract.client == without.client


def test_new_conversations_do_not_escape_the_vin_count(demo_db: str) -> None:
    """The brute force of the issue: name and VIN known, a new sender and client per ZIP guess."""
    t = throttle()
    name, _, vin = OWNER
    outcomes = [check(name, f"9800{n}", vin, f"client-{n}", NOW + n, t) for n in range(5)]
    assert outcomes == [Outcome.MISMATCH] * 4 + [Outcome.LOCKED]
    # The right ZIP is now refused as well, from anyone, with the same answer.
    assert check(*OWNER, "the-owner", NOW + 10, t) is Outcome.LOCKED


def test_the_owner_gets_through_after_the_window(demo_db: str) -> None:
    t = throttle()
    name, _, vin = OWNER
    for n in range(5):
        check(name, f"9800{n}", vin, f"client-{n}", NOW + n, t)
    assert check(*OWNER, "the-owner", NOW + HOUR - 1, t) is Outcome.LOCKED
    assert check(*OWNER, "the-owner", NOW + HOUR + 5, t) is Outcome.VERIFIED


def test_the_contract_count_catches_guessed_vins(demo_db: str) -> None:
    """Name and ZIP known, VINs guessed: each VIN is new, the contract is not."""
    t = throttle()
    name, zip_code, _ = OWNER
    guesses = [
        "1HGFE2F56MA104231",
        "2T1BURHE4NC073158",
        "1FTEW1EP0LK530264",
        "3VWC57BU5MM011549",
        "1N4BL4BVXKC123456",
    ]
    outcomes = [check(name, zip_code, vin, f"client-{n}", NOW + n, t) for n, vin in enumerate(guesses)]
    assert outcomes[-1] is Outcome.LOCKED
    assert check(*OWNER, "the-owner", NOW + 10, t) is Outcome.LOCKED


def test_one_client_is_locked_after_its_own_limit(demo_db: str) -> None:
    t = throttle()
    # Ten different contracts' VINs, each wrong once, all from one client.
    vins = ["1HGFE2F56MA104231", "2T1BURHE4NC073158", "1FTEW1EP0LK530264", "3VWC57BU5MM011549"]
    outcomes = [check("Nobody", "10001", vins[n % 4], "one-client", NOW + n, t) for n in range(10)]
    assert outcomes[-1] is Outcome.LOCKED
    assert check(*OWNER, "one-client", NOW + 20, t) is Outcome.LOCKED
    assert check(*OWNER, "another-client", NOW + 20, t) is Outcome.VERIFIED


class SpyCounter(DatabaseFailureCounter):
    def __init__(self) -> None:
        self.recorded: list[int] = []

    def record(self, keys: Sequence[str], at: float, forget_before: float) -> None:
        self.recorded.append(len(keys))
        super().record(keys, at, forget_before)

    def counts(self, keys: Sequence[str], since: float) -> Mapping[str, int]:
        return super().counts(keys, since)


@pytest.mark.parametrize(
    "attempt",
    [
        ("Smith", "98101", "5YJ3E1EAXPF402917"),  # wrong name
        ("Smith-Jones", "98102", "5YJ3E1EAXPF402917"),  # wrong ZIP
        ("Smith-Jones", "98101", "1HGFE2F56MA104231"),  # someone else's VIN
        ("Nobody", "10001", "1HGCM82633A004352"),  # nothing known
    ],
)
def test_every_kind_of_mismatch_takes_the_same_steps(demo_db: str, attempt: tuple[str, str, str]) -> None:
    spy = SpyCounter()
    t = VerificationThrottle(spy, LIMITS)
    assert check(*attempt, "client", NOW, t) is Outcome.MISMATCH
    assert spy.recorded == [3]  # one failure under three keys, whichever part was wrong


def test_the_database_is_used_without_redis(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_HOST", raising=False)
    assert isinstance(failure_counter(), DatabaseFailureCounter)
