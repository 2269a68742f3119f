"""Generate data/rules/rules.yml.

Rasa 3.6 rules have no wildcard, so "answer a question in the middle of a form
and resume it" needs one rule per intent and form. Edit the tables here and run
`.venv/bin/python -m tools.generate_rules`; tests/test_rules_generated.py
fails when the committed rules.yml and this script disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "rules" / "rules.yml"
FORMS = ("lookup_form", "gap_claim_form")

# Questions answered by a response alone.
FAQ = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_thank",
    "bot_challenge": "utter_bot_challenge",
    "ask_coverage": "utter_coverage",
    "ask_plan_levels": "utter_plan_levels",
    "ask_repair_shop": "utter_repair_shop",
    "ask_disabled_vehicle": "utter_disabled_vehicle",
    "ask_authorization": "utter_authorization",
    "ask_gap": "utter_gap",
    "ask_help_center": "utter_help_center",
    "forgot_username": "utter_forgot_username",
    "request_human": "utter_human",
    "out_of_scope": "utter_out_of_scope",
}
# Questions with a page answer that the customer's contract can make personal.
PERSONALISABLE = {
    "ask_rental": "utter_rental",
    "ask_trip_interruption": "utter_trip_interruption",
    "ask_deductible": "utter_deductible",
    "ask_cancel": "utter_cancel",
}
# Questions only the contract record answers: identity first.
CONTRACT_QUESTIONS = ["ask_my_plan", "ask_my_vehicle", "ask_contract_end", "ask_gap_status"]
URGENT = {"urgent_roadside": "utter_roadside", "urgent_accident": "utter_accident"}

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
            "ask_transfer: the page's answer, then the deadline",
            [intent("ask_transfer"), action("utter_transfer"), action("action_answer_transfer")],
        ),
        rule(
            "details or a sale date given outside a form",
            [intent("inform"), action("action_answer_transfer")],
        ),
    ]
    for i in CONTRACT_QUESTIONS + ["lookup_contract"]:
        rules += [
            rule(f"{i}: verify first", [intent(i), action("lookup_form"), loop("lookup_form")]),
            rule(f"{i}: already verified", [intent(i), action("action_answer_personal")], verified),
            rule(f"{i}: identity locked", [intent(i), action("action_answer_personal")], locked),
        ]
    offered = [slots(lookup_offered=True)]
    rules += [
        rule(
            "accept the offer to look up the contract",
            [intent("affirm"), action("lookup_form"), loop("lookup_form"), slots(lookup_offered=False)],
            offered,
        ),
        rule(
            "decline the offer to look up the contract",
            [intent("deny"), action("action_decline_lookup"), slots(lookup_offered=False)],
            offered,
        ),
        rule(
            "submit the look-up form",
            [action("lookup_form"), loop(None), slots(requested_slot=None), action("action_verify_identity")],
            [loop("lookup_form")],
        ),
        rule(
            "start a GAP claim", [intent("start_gap_claim"), action("gap_claim_form"), loop("gap_claim_form")]
        ),
        rule(
            "start a GAP claim: identity locked",
            [intent("start_gap_claim"), action("action_submit_gap_claim")],
            locked,
        ),
        rule(
            "start a GAP claim: verified, contract not eligible",
            [intent("start_gap_claim"), action("action_submit_gap_claim")],
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
                f"{i} ends {f}",
                [intent(i), action(a), action("action_deactivate_loop"), loop(None)],
                [loop(f)],
            )
            for f in FORMS
        ]
    for f in FORMS:
        during = [loop(f)]
        rules += [
            rule(f"{i} ends {f}", [intent(i), action("action_stop_form"), loop(None)], during)
            for i in ("stop", "goodbye")
        ]
        answers = {
            **{i: a for i, a in FAQ.items() if i != "goodbye"},
            **PERSONALISABLE,
            "ask_transfer": "utter_transfer",
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
