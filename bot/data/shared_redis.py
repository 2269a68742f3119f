"""The Redis client for state every replica must share, when Redis is configured.

REDIS_HOST / REDIS_PORT / REDIS_PASSWORD / REDIS_DB are the lock store's own
variables (deploy/endpoints.production.yml): one Redis, our keys under
``KEY_PREFIX``. Without REDIS_HOST the shared state lives in the contracts
database instead (bot/data/deliveries.py, bot/data/throttle.py).
"""

from __future__ import annotations

import threading

import redis

from bot.settings import settings

KEY_PREFIX = "allyassistant:"
SOCKET_TIMEOUT_SECONDS = 5

_clients: dict[tuple[str, int, int, str], redis.Redis] = {}
_lock = threading.Lock()


def shared_redis() -> redis.Redis | None:
    """A client (one per configuration, thread-safe pool) or None when REDIS_HOST is unset."""
    conf = settings()
    if not conf.redis_host:
        return None
    config = (conf.redis_host, conf.redis_port, conf.redis_db, conf.redis_password)
    with _lock:
        client = _clients.get(config)
        if client is None:
            client = redis.Redis(
                host=conf.redis_host,
                port=conf.redis_port,
                db=conf.redis_db,
                password=conf.redis_password or None,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
            )
            _clients[config] = client
        return client
