"""Rasa 3.6 per-turn costs removed inside the Rasa server process.

Each of these was measured with a profiler under `make bench` (docs/benchmarks.md):

- `Event.resolve_by_type` scans every Event subclass for every stored event
  Rasa deserialises; the class for each type name is now looked up once.
- Rasa validates every action-server response with `jsonschema.validate`,
  which re-checks the schema itself against its metaschema each time; the
  validator is now built once.
- Rasa opens a new HTTP session, and so a new TCP connection, for each call
  to the action server; one keep-alive session per endpoint is now reused.
- After the model is loaded, `gc.freeze()` moves the millions of long-lived
  objects (TensorFlow, spaCy, the domain) out of the cyclic collector's
  reach: a full collection took ~400 ms with them, during which every turn
  in flight on the replica stalled. The heap that loading freed goes back to
  the system (`malloc_trim`, ~13 MiB).

`install()` is idempotent; bot/rasa_server/process.py calls it from every one
of our channels, which Rasa builds in its server process before it loads the model.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
from typing import Any

import aiohttp
import jsonschema
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)

# Below Sanic's keep-alive timeout on the action server (75 s, bot/ops/launcher.py),
# so the client never reuses a connection the server is about to close.
ACTION_KEEPALIVE_SECONDS = 30.0
ACTION_MAX_CONNECTIONS = 256

_installed = False
_frozen = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _cache_event_classes()
    _compile_action_response_validator()
    _reuse_action_server_connections()


def _cache_event_classes() -> None:
    original = Event.resolve_by_type
    classes: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = classes.get(type_name)
        if found is None:
            for cls in all_subclasses(Event):
                if cls.type_name == type_name:
                    classes[type_name] = found = cls
                    break
        # Unknown names keep Rasa's own answer (a default, None or ValueError).
        return found if found is not None else original(type_name, default)

    Event.resolve_by_type = staticmethod(resolve_by_type)


def _compile_action_response_validator() -> None:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    original = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        return original(self, result)  # raises with Rasa's own message

    RemoteAction._validate_action_result = validate_action_result


class _KeptSession:
    """`async with` that lends a long-lived session without closing it."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> bool:
        return False


def _reuse_action_server_connections() -> None:
    def session(self: EndpointConfig) -> _KeptSession:
        kept: aiohttp.ClientSession | None = getattr(self, "_kept_session", None)
        loop = asyncio.get_running_loop()
        if kept is None or kept.closed or getattr(self, "_kept_loop", None) is not loop:
            # Rasa's own session settings, on a connector that keeps connections.
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None
            )
            kept = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(
                    limit=ACTION_MAX_CONNECTIONS, keepalive_timeout=ACTION_KEEPALIVE_SECONDS
                ),
            )
            self._kept_session, self._kept_loop = kept, loop
            _KEPT_SESSIONS[:] = [(s, lp) for s, lp in _KEPT_SESSIONS if not (s.closed or lp.is_closed())]
            _KEPT_SESSIONS.append((kept, loop))
        return _KeptSession(kept)

    EndpointConfig.session = session


_KEPT_SESSIONS: list[tuple[aiohttp.ClientSession, asyncio.AbstractEventLoop]] = []


async def close_kept_sessions(*_: Any) -> None:
    """Sanic `after_server_stop` listener: closes this event loop's sessions."""
    loop = asyncio.get_running_loop()
    mine = [s for s, lp in _KEPT_SESSIONS if lp is loop]
    _KEPT_SESSIONS[:] = [(s, lp) for s, lp in _KEPT_SESSIONS if lp is not loop]
    for kept in mine:
        await kept.close()


async def freeze_long_lived_objects(*_: Any) -> None:
    """Sanic `after_server_start` listener: Rasa has loaded the model by then."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
    _return_free_heap()
    log.info("gc: %d long-lived objects frozen", gc.get_freeze_count())


def _return_free_heap() -> None:
    libc_name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(libc_name).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to give back this way
        pass
