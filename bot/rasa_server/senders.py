"""Who a message comes from: conversation ids bound to their channel, and a client pseudonym.

- A conversation id is ``<channel>:<sender>``, so an id from one channel never
  reaches a conversation of another (a socket.io session id sent to REST
  starts an empty REST conversation).
- The client (an IP address, or a phone number's sender id on SMS) travels as
  a keyed hash in the message metadata: the action server counts failed
  identity checks per client (bot/data/throttle.py) without ever seeing the
  address itself.
"""

from __future__ import annotations

from typing import Any

from sanic.request import Request

from bot.domain.keys import Purpose, derive, keyed_hash
from bot.settings import settings

CLIENT_METADATA_KEY = "client"


def conversation_id(channel: str, sender: str) -> str:
    return f"{channel}:{sender}"


def client_metadata(kind: str, value: str) -> dict[str, Any]:
    """Message metadata naming the client by a keyed hash of ``value`` (an IP, a sender id)."""
    return {CLIENT_METADATA_KEY: keyed_hash(derive(settings().secret_key, Purpose.CLIENT), kind, value)}


def request_ip(request: Request) -> str:
    """The client's address: a proxy's forwarded address only when Sanic is told to trust it
    (SANIC_PROXIES_COUNT / SANIC_REAL_IP_HEADER), else the peer's."""
    return request.remote_addr or request.ip or "unknown"
