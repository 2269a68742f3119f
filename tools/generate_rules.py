"""Generate data/rules/rules.yml.

Rasa 3.6 rules have no wildcard, so "answer a question in the middle of a form
and resume it" needs one rule per intent and form. The intents and their roles
come from bot/content/intents.py, the rule shapes from here; after editing either, run
`.venv/bin/python -m tools.generate_rules`; tests/test_rules_generated.py
fails when the committed rules.yml and this script disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.content.intents import (
    ANSWERED_BY_RESPONSE,
    BY_NAME,
    CONTRACT_QUESTIONS,
    IDENTITY_FORMS,
    INTENTS,
    LOOKUP_CONTRACT,
    PERSONALISABLE_QUESTIONS,
    Intent,
    Role,
    carry_on_intents,
    named,
    trigger,
)

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "rules" / "rules.yml"
FORMS = IDENTITY_FORMS


def _known(name: str) -> str:
    if name not in BY_NAME:
        raise KeyError(f"{name} is not in bot/content/intents.py")
    return name


def _response(i: Intent) -> str:
    if i.response is None:
        raise ValueError(f"{i.name} ({i.role.value}) needs a response in bot/content/intents.py")
    return i.response


# Which intent plays which part comes from bot/content/intents.py, in its order.
# Questions answered by a response alone.
FAQ = {i.name: _response(i) for i in INTENTS if i.role in ANSWERED_BY_RESPONSE}
# Questions with a page answer that the customer's contract can make personal.
PERSONALISABLE = {n: _response(BY_NAME[n]) for n in PERSONALISABLE_QUESTIONS}
# The transfer question: the page's answer, then the deadline from the sale date.
TRANSFER = {i.name: _response(i) for i in INTENTS if i.role is Role.TRANSFER}
# Urgent: the hand-off response at once, pausing any form; a message in another
# language gets its reply the same way. (CONTRACT_QUESTIONS and LOOKUP_CONTRACT
# need identity first.)
URGENT = {i.name: _response(i) for i in INTENTS if i.role is Role.URGENT}
URGENT.update(dict.fromkeys(named(Role.OTHER_LANGUAGE), "action_answer_in_language"))
(RESUME,) = named(Role.RESUME)
# Details typed outside a form; the intents that end a form.
(INFORM,) = named(Role.FORM_ANSWER)
(STOP,) = named(Role.STOP)
AFFIRM, DENY = named(Role.YES_NO)
GOODBYE = _known("goodbye")  # chit-chat, and also the end of a form
FORM_ENDERS = (STOP, GOODBYE)
START_GAP_CLAIM = trigger("gap_claim_form")

Step = dict[str, Any]


def intent(name: str) -> Step:
    return {"intent": name}


def action(name: str) -> Step:
    return {"action": name}


def loop(name: str | None) -> Step:
    return {"active_loop": name}


def slots(**values: Any) -> Step:
    return {"slot_was_set": [{k: v} for k, v in values.items()]}


def rule(name: str, steps: list[Step], condition: list[Step] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"rule": name}
    if condition:
        out["condition"] = condition
    out["steps"] = steps
    return out


def build() -> list[dict[str, Any]]:
    verified = [slots(verified=True)]
    locked = [slots(identity_locked=True)]
    rules = [rule(i, [intent(i), action(a)]) for i, a in FAQ.items()]
    rules += [
        rule(
            f"{i}: the page's answer, then the contract's",
            [intent(i), action(a), action("action_answer_personal")],
        )
        for i, a in PERSONALISABLE.items()
    ]
    rules += [
        rule(
            f"{i}: the page's answer, then the deadline",
            [intent(i), action(a), action("action_answer_transfer")],
        )
        for i, a in TRANSFER.items()
    ]
    rules.append(
        rule(
            "details or a sale date given outside a form", [intent(INFORM), action("action_answer_transfer")]
        )
    )
    for i in (*CONTRACT_QUESTIONS, LOOKUP_CONTRACT):
        rules += [
            rule(f"{i}: verify first", [intent(i), action("lookup_form"), loop("lookup_form")]),
            rule(f"{i}: already verified", [intent(i), action("action_answer_personal")], verified),
            rule(f"{i}: identity locked", [intent(i), action("action_answer_personal")], locked),
        ]
    offered = [slots(lookup_offered=True)]
    rules += [
        rule(
            f"accept the offer to look up the contract ({i})",
            [intent(i), action("lookup_form"), loop("lookup_form"), slots(lookup_offered=False)],
            offered,
        )
        for i in (AFFIRM, INFORM)  # "yes", or the details themselves ("Sampleton")
    ]
    rules += [
        rule(
            "decline the offer to look up the contract",
            [intent(DENY), action("action_decline_lookup"), slots(lookup_offered=False)],
            offered,
        ),
        rule(
            "submit the look-up form",
            [action("lookup_form"), loop(None), slots(requested_slot=None), action("action_verify_identity")],
            [loop("lookup_form")],
        ),
        rule(
            "start a GAP claim", [intent(START_GAP_CLAIM), action("gap_claim_form"), loop("gap_claim_form")]
        ),
        rule(
            "start a GAP claim: identity locked",
            [intent(START_GAP_CLAIM), action("action_submit_gap_claim")],
            locked,
        ),
        rule(
            "start a GAP claim: verified, contract not eligible",
            [intent(START_GAP_CLAIM), action("action_submit_gap_claim")],
            [slots(verified=True, gap_eligible=False)],
        ),
        rule(
            "submit the GAP claim form",
            [
                action("gap_claim_form"),
                loop(None),
                slots(requested_slot=None),
                action("action_submit_gap_claim"),
            ],
            [loop("gap_claim_form")],
        ),
    ]
    for i, a in URGENT.items():
        rules.append(rule(i, [intent(i), action(a)]))
        rules += [
            rule(
                f"{i} pauses {f}",
                [intent(i), action(a), action("action_pause_form"), loop(None), slots(paused_form=f)],
                [loop(f)],
            )
            for f in FORMS
        ]
    rules.append(rule("nothing to resume", [intent(RESUME), action(_response(BY_NAME[RESUME]))]))
    for f in FORMS:
        rules.append(rule(f"resume {f}", [intent(RESUME), action(f), loop(f)], [slots(paused_form=f)]))
        rules += [
            rule(
                f"carry on with {f}" if i == RESUME else f"{i} during {f}: carry on",
                [intent(i), action(f), loop(f)],
                [loop(f)],
            )
            for i in carry_on_intents(f)
        ]
    for f in FORMS:
        during = [loop(f)]
        rules += [
            rule(f"{i} ends {f}", [intent(i), action("action_stop_form"), loop(None)], during)
            for i in FORM_ENDERS
        ]
        answers = {
            **{i: a for i, a in FAQ.items() if i != GOODBYE},
            **PERSONALISABLE,
            **TRANSFER,
        }
        answers.update(dict.fromkeys(CONTRACT_QUESTIONS, "action_answer_personal"))
        rules += [
            rule(f"{i} during {f}", [intent(i), action(a), action(f), loop(f)], during)
            for i, a in answers.items()
        ]
    rules.append(
        rule(
            "two-stage fallback",
            [intent("nlu_fallback"), action("action_two_stage_fallback"), loop("action_two_stage_fallback")],
        )
    )
    return rules


class _NoAliases(yaml.SafeDumper):
    """Shared condition lists are written out in full, not as YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render() -> str:
    header = (
        'version: "3.1"\n'
        "# Generated by tools/generate_rules.py (Rasa 3.6 rules have no wildcard,\n"
        "# so interruptions are one rule per intent and form). Edit the script, not this file.\n"
    )
    return header + yaml.dump({"rules": build()}, Dumper=_NoAliases, sort_keys=False, width=120)


if __name__ == "__main__":
    RULES_FILE.write_text(render())
