"""Response generator that fills contact numbers (and the policy's rule numbers) into every response.

Configured in endpoints.yml (``nlg: type: bot.content.nlg.ContactsNLG``). It runs in the
Rasa server, so numbers appear even when the action server is unreachable.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.content.messages import template_values


class ContactsNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self._contacts = template_values()

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        return await super().generate(utter_action, tracker, output_channel, **{**self._contacts, **kwargs})
