"""The questions the assistant answers, as a customer would ask them.

One table serves the "did you mean…?" buttons, the Help Center FAQ and the SMS
help text; answers always come from the responses in domain.yml.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    intent: str
    question: str
    response: str  # the general answer in domain.yml
    category: str


TOPICS: list[Topic] = [
    Topic("ask_coverage", "What does my vehicle service contract cover?", "utter_coverage", "Coverage"),
    Topic("ask_plan_levels", "What plan levels are there?", "utter_plan_levels", "Coverage"),
    Topic("ask_deductible", "Do I have to pay a deductible?", "utter_deductible", "Coverage"),
    Topic("ask_repair_shop", "Where can I take my vehicle for repairs?", "utter_repair_shop", "Repairs"),
    Topic(
        "ask_authorization", "Do repairs need approval before work starts?", "utter_authorization", "Repairs"
    ),
    Topic(
        "ask_disabled_vehicle",
        "What should I do if my vehicle breaks down?",
        "utter_disabled_vehicle",
        "Repairs",
    ),
    Topic("ask_rental", "Is a rental car covered while my car is repaired?", "utter_rental", "Benefits"),
    Topic(
        "ask_trip_interruption",
        "Am I covered if I'm stranded on a trip?",
        "utter_trip_interruption",
        "Benefits",
    ),
    Topic("ask_gap", "My vehicle was totaled. How do I file a GAP claim?", "utter_gap", "GAP claims"),
    Topic(
        "ask_transfer",
        "How do I transfer my contract if I sell my vehicle?",
        "utter_transfer",
        "Transfer and cancellation",
    ),
    Topic(
        "ask_cancel", "How do I cancel, and will I get a refund?", "utter_cancel", "Transfer and cancellation"
    ),
    Topic(
        "urgent_roadside",
        "I'm stranded or broken down on the road. Who do I call?",
        "utter_roadside",
        "Roadside",
    ),
    Topic("request_human", "How do I reach a person?", "utter_human", "Contact"),
    Topic(
        "forgot_username",
        "I forgot my Ally Bank or Ally Invest username.",
        "utter_forgot_username",
        "Contact",
    ),
    Topic("ask_help_center", "Where can I find more answers?", "utter_help_center", "Contact"),
]

BY_INTENT: dict[str, Topic] = {t.intent: t for t in TOPICS}
