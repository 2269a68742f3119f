"""Reading a message the way the conversation so far makes clear.

The intent model sees one message alone; three things need more:

- **Identity answers.** After "what's your last name?" or the offer to look
  the contract up, "Sampleton" is a surname, whatever the model thinks of the
  word; a message that gives a VIN, ZIP code or surname is an answer
  (``inform``) unless what is left once those values are taken out is a clear
  question of its own ("what's my deductible? Smith-Jones 98101 5YJ3…").
- **Other languages.** A message in a language the model can't read is
  ``other_language`` (bot/understanding/language.py), never a guess at an English intent.
- **Emergencies.** When the model is unsure but an emergency is among its
  guesses and the message names a danger ("smoking", "crash", "stranded"),
  it is the emergency: 911 and the roadside number cost little if wrong.
- **Several questions.** Each clause (bot/understanding/clauses.py) is classified on its
  own; the clear questions beyond the first become ``follow_ups``, which the
  Rasa server answers in turn, each as its own turn. A clause never starts a
  form: "am i still ok" after "i sold my car on oct 30" is about the sale.

Plain functions over Rasa's parse data (dicts) and a ``parse`` callable, so
they are tested without a model; bot/rasa_server/understanding.py applies them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.content.intents import BY_NAME, Role, named
from bot.domain.names import FIELD_WORDS, NAME_PARTICLES
from bot.domain.verification import clean_last_name, surname_answer
from bot.understanding.clauses import clauses
from bot.understanding.language import foreign_language

Parse = Callable[[str], dict[str, Any]]

(INFORM,) = named(Role.FORM_ANSWER)
(OTHER_LANGUAGE,) = named(Role.OTHER_LANGUAGE)
FALLBACK = "nlu_fallback"
IDENTITY_ENTITIES = ("last_name", "zip_code", "vin")
# What is left of a message once its identity values are taken out may be any question or request.
QUESTION_ROLES = (
    Role.GENERAL,
    Role.PERSONALISABLE,
    Role.TRANSFER,
    Role.CONTRACT,
    Role.FORM_TRIGGER,
    Role.URGENT,
)
# A clause may also resume a paused form; one that starts a form is acted on
# only when it is the message's one clear question.
CLAUSE_ROLES = (*QUESTION_ROLES, Role.RESUME)
STARTS_A_FORM = (Role.CONTRACT, Role.FORM_TRIGGER)
DANGER = re.compile(
    r"\b(?:smok\w*|fire|flames?|burning|crash\w*|collision|accident|wreck\w*|injur\w*|hurt|bleed\w*|"
    r"blood|airbags?|stranded|stuck)\b",
    re.IGNORECASE,
)
# How sure the model must be of a clause (or a message's remainder) to act on it.
CLEAR = 0.8
MAX_FOLLOW_UPS = 2
READER = "MessageReader"  # the extractor name on entities this module adds
_FIELD_WORD = re.compile(
    r"\b(?:" + "|".join(re.escape(w) for w in sorted(FIELD_WORDS)) + r")\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Context:
    """What the assistant is waiting for: the identity field a form asked for
    ("last_name", "zip_code", "vin"), "identity" after offering the look-up, or None."""

    awaiting: str | None = None


def read(parsed: dict[str, Any], context: Context, parse: Parse) -> dict[str, Any]:
    """``parsed`` (the model's reading of one message), read in ``context``."""
    text = str(parsed.get("text") or "")
    if not text.strip() or text.startswith("/"):
        return parsed  # button payloads carry their own intent
    emergency = _emergency(parsed)
    if emergency is not None:
        return _as(parsed, emergency)
    identity = [e for e in parsed.get("entities") or [] if e.get("entity") in IDENTITY_ENTITIES]
    answer = _identity_answer(parsed, identity, context, parse)
    if answer is not None:
        return answer
    language = None if _surname_alone(text) else foreign_language(text)
    if language is not None:
        return _as(parsed, OTHER_LANGUAGE, language=language)
    return _questions(parsed, parse)


def _role(intent: str | None) -> Role | None:
    known = BY_NAME.get(intent or "")
    return known.role if known else None


def _intent(parsed: dict[str, Any]) -> tuple[str | None, float]:
    intent = parsed.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _clear_question(text: str, parse: Parse) -> str | None:
    """The intent of ``text`` when the model is sure it is a question or request."""
    if len(text.split()) < 2:
        return None
    name, confidence = _intent(parse(text))
    return name if _role(name) in QUESTION_ROLES and confidence >= CLEAR else None


def _clause_topic(text: str, parse: Parse) -> str | None:
    """What a clause asks, when the model is sure: a topic, an emergency, or a sale date given."""
    if len(text.split()) < 2:
        return None
    parsed = parse(text)
    name, confidence = _intent(parsed)
    if confidence < CLEAR:
        return None
    if _role(name) in CLAUSE_ROLES:
        return name
    dated = any(e.get("entity") == "date" for e in parsed.get("entities") or [])
    return name if name == INFORM and dated else None


def _emergency(parsed: dict[str, Any]) -> str | None:
    """The emergency the model half-saw in a message that names a danger."""
    name, confidence = _intent(parsed)
    if confidence >= CLEAR or _role(name) is Role.URGENT or not DANGER.search(str(parsed["text"])):
        return None
    guesses = [r.get("name") for r in parsed.get("intent_ranking") or [] if r.get("name") != FALLBACK][:3]
    return next((g for g in guesses if _role(g) is Role.URGENT), None)


def _surname_alone(text: str) -> bool:
    """ "De Los Santos", "van der Berg": a surname with particles, not a sentence in Spanish or Dutch."""
    name = clean_last_name(text)
    return (
        name is not None
        and name == text.strip()
        and any(w.casefold() in NAME_PARTICLES for w in name.split())
    )


def _identity_answer(
    parsed: dict[str, Any], identity: list[dict[str, Any]], context: Context, parse: Parse
) -> dict[str, Any] | None:
    text = str(parsed["text"])
    intent, _ = _intent(parsed)
    if not identity:
        if context.awaiting not in ("last_name", "identity") or _role(intent) is Role.URGENT:
            return None
        # The model's own intent: several words it reads as a question are the question
        # ("my car got totaled, what now?" after the offer), a lone word is a name anyway.
        name = surname_answer(text, intent or INFORM)
        if name is None:
            return None
        start = text.find(name)
        entity = {"entity": "last_name", "start": start, "end": start + len(name), "value": name}
        return _as(
            parsed, INFORM, entities=[*(parsed.get("entities") or []), {**entity, "extractor": READER}]
        )
    rest = text
    for e in sorted(identity, key=lambda e: -int(e["start"])):
        rest = rest[: int(e["start"])] + " " + rest[int(e["end"]) :]
    question = _clear_question(" ".join(_FIELD_WORD.sub(" ", rest).split()), parse)
    return _as(parsed, question or INFORM)


def _questions(parsed: dict[str, Any], parse: Parse) -> dict[str, Any]:
    parts = clauses(str(parsed["text"]))
    if len(parts) < 2:
        return parsed
    found: list[tuple[str, str]] = []
    for part in parts:
        name = _clause_topic(part, parse)
        if name is not None and name not in (n for _, n in found):
            found.append((part, name))
    intent, _ = _intent(parsed)
    if len(found) == 1:
        return _as(parsed, found[0][1]) if intent == FALLBACK else parsed
    # Next to another answer, a clause never starts a form; the message's own intent may.
    answers = [(part, name) for part, name in found if _role(name) not in STARTS_A_FORM]
    answers.sort(key=lambda f: _role(f[1]) is not Role.URGENT)  # an emergency is answered first
    names = [name for _, name in answers]
    if not names:
        return parsed
    said = intent or ""
    main = said if said in {n for _, n in found} and _role(names[0]) is not Role.URGENT else names[0]
    follow_ups = [{"text": part, "intent": name} for part, name in answers if name != main][:MAX_FOLLOW_UPS]
    if not follow_ups and main == intent:
        return parsed
    return _as(parsed, main, follow_ups=follow_ups)


def _as(parsed: dict[str, Any], intent: str, **extra: Any) -> dict[str, Any]:
    """``parsed`` acting on ``intent`` (first in the ranking), with ``extra`` keys."""
    out = copy.deepcopy(parsed)
    out.update(extra)
    if intent == _intent(parsed)[0]:
        return out
    out["intent"] = {"name": intent, "confidence": 1.0}
    ranking = [r for r in out.get("intent_ranking") or [] if r.get("name") != intent]
    out["intent_ranking"] = [{"name": intent, "confidence": 1.0}, *ranking]
    out["read_from"] = _intent(parsed)[0]  # what the model alone said, for the logs
    return out
