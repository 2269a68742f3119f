"""The Rasa speed-ups keep Rasa's behaviour: same classes, same errors, same requests."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server import speedups

speedups.install()


def test_event_classes_resolve_as_before() -> None:
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("no-such-event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError):
        Event.resolve_by_type("no-such-event")


def test_install_is_idempotent() -> None:
    resolve = Event.resolve_by_type
    speedups.install()
    assert Event.resolve_by_type is resolve


def test_action_responses_are_still_validated() -> None:
    action = RemoteAction("action_answer_personal", None)
    assert action._validate_action_result(
        {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []}
    )
    with pytest.raises(ValidationError) as err:
        action._validate_action_result({"events": [{"event": "no-such-event"}], "responses": []})
    assert "Failed to validate Action server response" in err.value.message
    with pytest.raises(ValidationError):
        action._validate_action_result({"responses": "not a list"})


def test_action_server_calls_reuse_one_connection_per_event_loop() -> None:
    peers: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": []})

    async def scenario() -> None:
        app = web.Application()
        app.router.add_post("/webhook", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            for _ in range(3):
                reply = await endpoint.request(json={"next_action": "x"}, method="post", port=port)
                assert reply == {"events": [], "responses": []}
        finally:
            await speedups.close_kept_sessions()
            await runner.cleanup()

    class PortEndpoint(EndpointConfig):
        async def request(self, port: int, **kwargs: Any) -> Any:  # type: ignore[override]
            self.url = f"http://127.0.0.1:{port}/webhook"
            return await super().request(**kwargs)

    endpoint = PortEndpoint("http://127.0.0.1:1/webhook")
    asyncio.new_event_loop().run_until_complete(scenario())
    asyncio.new_event_loop().run_until_complete(scenario())  # a new loop gets its own session
    assert len(peers) == 6
    assert len(set(peers[:3])) == 1 and len(set(peers[3:])) == 1 and peers[0] != peers[3]
    assert speedups._KEPT_SESSIONS == []


def test_long_lived_objects_are_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speedups, "_frozen", False)
    try:
        asyncio.new_event_loop().run_until_complete(speedups.freeze_long_lived_objects())
        frozen = gc.get_freeze_count()
        assert frozen > 1000
        asyncio.new_event_loop().run_until_complete(speedups.freeze_long_lived_objects())
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
