"""The numbered choices last offered to each SMS sender.

Kept in this process's memory and bounded (least recently used senders are
forgotten first), so a flood of senders cannot grow it without limit. Only
the event loop touches it, so it needs no lock. With several Rasa replicas a
reply must reach the replica that offered the choices: move this to Redis
(next to the lock store) when the deployment scales out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_MAX_SENDERS = 10_000


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str


class OfferedChoices:
    def __init__(self, max_senders: int = DEFAULT_MAX_SENDERS) -> None:
        self._max_senders = max_senders
        self._offers: OrderedDict[str, tuple[Choice, ...]] = OrderedDict()

    def remember(self, sender: str, choices: Sequence[Choice]) -> None:
        """Record the latest offer; an empty one clears the sender's choices."""
        self._offers.pop(sender, None)
        if not choices:
            return
        self._offers[sender] = tuple(choices)
        while len(self._offers) > self._max_senders:
            self._offers.popitem(last=False)

    def pick(self, sender: str, number: int) -> Choice | None:
        """Choice ``number`` (1-based) of the sender's latest offer, if any."""
        offer = self._offers.get(sender, ())
        if offer:
            self._offers.move_to_end(sender)
        return offer[number - 1] if 1 <= number <= len(offer) else None

    def offered(self, sender: str) -> tuple[Choice, ...]:
        """The sender's latest offer (empty when none is open)."""
        return self._offers.get(sender, ())

    def __len__(self) -> int:
        return len(self._offers)
