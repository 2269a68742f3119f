"""Every intent in domain.yml, declared once with its role.

The rules generator (tools/generate_rules.py), the personalised answers
(actions/), the "did you mean…?" buttons, the Help Center FAQ and the metrics
labels all read this table; tests/content/test_intents.py fails when it and
domain.yml disagree. Plain Python (no Rasa), so any layer may import it.

The table's order is the order of the rules in data/rules/rules.yml (the
generator walks it); the FAQ's order is ``FAQ_ORDER``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    CHIT_CHAT = "chit-chat"  # small talk: its response answers it
    GENERAL = "general question"  # the page's answer: its response alone
    PERSONALISABLE = "general question, personalised"  # the page's answer, then the contract's
    TRANSFER = "general question, then the transfer deadline"  # the page's answer, then the sale date
    OUT_OF_SCOPE = "out of scope"  # its response says what the assistant can do
    CONTRACT = "contract question"  # only the contract record answers: identity first
    FORM_TRIGGER = "form trigger"  # starts ``form``
    URGENT = "urgent"  # its response hands off at once, pausing any form
    OTHER_LANGUAGE = "another language"  # a short reply in that language with the numbers, pausing any form
    RESUME = "carry on"  # resumes the form an urgent message paused (its response when none was)
    FORM_ANSWER = "answer to a form"  # details typed into a form (or given outside one)
    YES_NO = "yes or no"  # accepts/declines an offer, answers a yes/no form question
    STOP = "stop"  # leaves a form


# Roles whose rule is just "intent -> its response".
ANSWERED_BY_RESPONSE = (Role.CHIT_CHAT, Role.GENERAL, Role.OUT_OF_SCOPE)


@dataclass(frozen=True)
class Intent:
    name: str
    role: Role
    response: str | None = None  # the domain.yml response that answers it
    question: str | None = None  # how a customer asks it (FAQ entry, "did you mean…?" button)
    category: str | None = None  # the FAQ section
    form: str | None = None  # the form a FORM_TRIGGER starts


INTENTS: tuple[Intent, ...] = (
    Intent("greet", Role.CHIT_CHAT, "utter_greet"),
    Intent("goodbye", Role.CHIT_CHAT, "utter_goodbye"),
    Intent("thank", Role.CHIT_CHAT, "utter_thank"),
    Intent("bot_challenge", Role.CHIT_CHAT, "utter_bot_challenge"),
    Intent(
        "ask_coverage",
        Role.PERSONALISABLE,
        "utter_coverage",
        "What does my vehicle service contract cover?",
        "Coverage",
    ),
    Intent("ask_plan_levels", Role.GENERAL, "utter_plan_levels", "What plan levels are there?", "Coverage"),
    Intent(
        "ask_repair_shop",
        Role.GENERAL,
        "utter_repair_shop",
        "Where can I take my vehicle for repairs?",
        "Repairs",
    ),
    Intent(
        "ask_disabled_vehicle",
        Role.GENERAL,
        "utter_disabled_vehicle",
        "What should I do if my vehicle breaks down?",
        "Repairs",
    ),
    Intent(
        "ask_authorization",
        Role.GENERAL,
        "utter_authorization",
        "Do repairs need approval before work starts?",
        "Repairs",
    ),
    Intent(
        "ask_gap",
        Role.GENERAL,
        "utter_gap",
        "My vehicle was totaled. How do I file a GAP claim?",
        "GAP claims",
    ),
    Intent("ask_help_center", Role.GENERAL, "utter_help_center", "Where can I find more answers?", "Contact"),
    Intent(
        "forgot_username",
        Role.GENERAL,
        "utter_forgot_username",
        "I forgot my Ally Bank or Ally Invest username.",
        "Contact",
    ),
    Intent("request_human", Role.GENERAL, "utter_human", "How do I reach a person?", "Contact"),
    Intent("ask_other_persons_contract", Role.GENERAL, "utter_other_persons_contract"),
    Intent(
        "ask_fee",
        Role.GENERAL,
        "utter_fee",
        "Is there a fee to transfer or cancel?",
        "Transfer and cancellation",
    ),
    Intent("out_of_scope", Role.OUT_OF_SCOPE, "utter_out_of_scope"),
    Intent(
        "ask_rental",
        Role.PERSONALISABLE,
        "utter_rental",
        "Is a rental car covered while my car is repaired?",
        "Benefits",
    ),
    Intent(
        "ask_trip_interruption",
        Role.PERSONALISABLE,
        "utter_trip_interruption",
        "Am I covered if I'm stranded on a trip?",
        "Benefits",
    ),
    Intent(
        "ask_deductible",
        Role.PERSONALISABLE,
        "utter_deductible",
        "Do I have to pay a deductible?",
        "Coverage",
    ),
    Intent(
        "ask_cancel",
        Role.PERSONALISABLE,
        "utter_cancel",
        "How do I cancel, and will I get a refund?",
        "Transfer and cancellation",
    ),
    Intent(
        "ask_transfer",
        Role.TRANSFER,
        "utter_transfer",
        "How do I transfer my contract if I sell my vehicle?",
        "Transfer and cancellation",
    ),
    Intent(
        "ask_gap_status",
        Role.PERSONALISABLE,
        "utter_gap_status",
        "I've sent my GAP documents. When will I hear back?",
        "GAP claims",
    ),
    Intent("ask_my_plan", Role.CONTRACT),
    Intent("ask_my_vehicle", Role.CONTRACT),
    Intent("ask_contract_end", Role.CONTRACT),
    Intent("ask_upload_link", Role.CONTRACT),
    Intent("lookup_contract", Role.FORM_TRIGGER, form="lookup_form"),
    Intent("start_gap_claim", Role.FORM_TRIGGER, form="gap_claim_form"),
    Intent(
        "urgent_roadside",
        Role.URGENT,
        "utter_roadside",
        "I'm stranded or broken down on the road. Who do I call?",
        "Roadside",
    ),
    Intent("urgent_accident", Role.URGENT, "utter_accident"),
    Intent("other_language", Role.OTHER_LANGUAGE),
    Intent("resume", Role.RESUME, "utter_nothing_to_resume"),
    Intent("inform", Role.FORM_ANSWER),
    Intent("affirm", Role.YES_NO),
    Intent("deny", Role.YES_NO),
    Intent("stop", Role.STOP),
)

BY_NAME: dict[str, Intent] = {i.name: i for i in INTENTS}
INTENT_NAMES: frozenset[str] = frozenset(BY_NAME)


def named(*roles: Role) -> tuple[str, ...]:
    """The names of the intents with one of ``roles``, in table order."""
    return tuple(i.name for i in INTENTS if i.role in roles)


def trigger(form: str) -> str:
    """The intent that starts ``form``."""
    return next(i.name for i in INTENTS if i.role is Role.FORM_TRIGGER and i.form == form)


# General questions whose answer the customer's contract can make personal.
PERSONALISABLE_QUESTIONS = named(Role.PERSONALISABLE)
# Questions only the contract record answers.
CONTRACT_QUESTIONS = named(Role.CONTRACT)
# What `action_answer_personal` answers from a verified contract (bot.domain.answers).
PERSONAL_QUESTIONS = PERSONALISABLE_QUESTIONS + CONTRACT_QUESTIONS
# Personal questions answered from the contract's GAP claim (bot/claims/chat.py), not from the contract.
CLAIM_QUESTIONS = ("ask_gap_status", "ask_upload_link")
# Asking for the look-up itself: verified, it answers with the contract summary.
LOOKUP_CONTRACT = trigger("lookup_form")


def carry_on_intents(form: str) -> tuple[str, ...]:
    """What means "go on" while ``form`` runs: resume, or asking again for what it is
    doing ("look up my contract" while it asks for the ZIP code); it asks its question again."""
    return tuple(dict.fromkeys([*named(Role.RESUME), LOOKUP_CONTRACT, trigger(form)]))


# The forms that collect last name, ZIP code and VIN.
IDENTITY_FORMS = tuple(i.form for i in INTENTS if i.role is Role.FORM_TRIGGER and i.form)

# The Help Center FAQ, in page order: every intent with a customer question, once.
FAQ_ORDER = (
    "ask_coverage",
    "ask_plan_levels",
    "ask_deductible",
    "ask_repair_shop",
    "ask_authorization",
    "ask_disabled_vehicle",
    "ask_rental",
    "ask_trip_interruption",
    "ask_gap",
    "ask_gap_status",
    "ask_transfer",
    "ask_cancel",
    "ask_fee",
    "urgent_roadside",
    "request_human",
    "forgot_username",
    "ask_help_center",
)
TOPICS: tuple[Intent, ...] = tuple(BY_NAME[n] for n in FAQ_ORDER)
