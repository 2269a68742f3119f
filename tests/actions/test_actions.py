"""Actions against a real (temporary) contracts database, via Tracker/CollectingDispatcher."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.contracts import ActionAnswerPersonal, ActionAnswerTransfer, ActionVerifyIdentity
from actions.conversation import ActionDefaultAskAffirmation, ActionDefaultFallback, ActionStopForm
from actions.gap_claims import ActionSubmitGapClaim
from actions.identity import ValidateGapClaimForm, ValidateLookupForm
from bot.content.contacts import contacts
from bot.data import services
from bot.data.engine import session_scope
from bot.data.models import VerifiedConversation
from bot.domain import proof
from bot.domain.keys import Purpose, derive
from tests.conftest import TEST_SECRET_KEY

DOMAIN: dict[str, Any] = {
    "forms": {
        "lookup_form": {"required_slots": ["last_name", "zip_code", "vin"]},
        "gap_claim_form": {"required_slots": ["last_name", "zip_code", "vin", "gap_confirmed"]},
    },
    "slots": {},
}
SMITH_JONES = {"last_name": "Smith-Jones", "zip_code": "98101", "vin": "5YJ3E1EAXPF402917"}
SENDER = "rest:test-conversation"


def proven(number: str, sender: str = SENDER, issued_at: float | None = None) -> dict[str, Any]:
    """The slots of a conversation that verified ``number`` (signed as the verify action signs)."""
    key = derive(TEST_SECRET_KEY, Purpose.VERIFICATION)
    return {"verified": True, "verification": proof.issue(key, number, sender, issued_at)}


# After one mismatch: the details are kept and the form asks for the one to fix.
RECHECKING = {"identity_recheck": True, "verification_failures": 1, "requested_slot": "identity_correction"}


def set_before(slots: dict[str, Any]) -> list[dict[str, Any]]:
    """Slot events of earlier turns."""
    return [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]


def tracker(
    slots: dict[str, Any] | None = None,
    intent: str = "inform",
    text: str = "",
    entities: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
    sender: str = SENDER,
) -> Tracker:
    base = {"verified": False, "identity_locked": False, "verification_failures": 0}
    base.update(slots or {})
    return Tracker(
        sender_id=sender,
        slots=base,
        latest_message={
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "text": text,
            "intent_ranking": [],
        },
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run(action: Any, t: Tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, DOMAIN))
    return dispatcher, events


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def form_turn(
    action: Any, slots: dict[str, Any], just_set: dict[str, Any], form: str, sender: str = SENDER
) -> tuple:
    """One form turn: ``just_set`` are the slots extracted from this message."""
    events = [{"event": "slot", "name": k, "value": v} for k, v in just_set.items()]
    t = tracker({**slots, **just_set}, active_loop=form, events=[{"event": "user"}] + events, sender=sender)
    return run(action, t)


@pytest.mark.usefixtures("demo_db")
class TestIdentityValidation:
    def test_matching_details_verify_and_clear_personal_slots(self) -> None:
        dispatcher, events = form_turn(ValidateLookupForm(), {}, SMITH_JONES, "lookup_form")
        slots = slot_events(events)
        assert slots["verified"] is True
        key = derive(TEST_SECRET_KEY, Purpose.VERIFICATION)
        assert proof.proven_contract(key, slots["verification"], SENDER, 60) == "APP-100103"
        assert proof.proven_contract(key, slots["verification"], "rest:another", 60) is None
        assert "402917" in slots["verified_summary"] and "5YJ3E1EAXPF402917" not in slots["verified_summary"]
        assert slots["last_name"] is None and slots["zip_code"] is None and slots["vin"] is None
        assert slots["requested_slot"] is None  # lookup form is done
        assert dispatcher.messages == []

    def test_name_variants_match(self) -> None:
        _, events = form_turn(
            ValidateLookupForm(),
            {},
            {**SMITH_JONES, "last_name": "my last name is smith jones"},
            "lookup_form",
        )
        assert slot_events(events)["verified"] is True

    def test_full_name_with_first_name_matches(self) -> None:
        _, events = form_turn(
            ValidateLookupForm(), {}, {**SMITH_JONES, "last_name": "Morgan Smith-Jones"}, "lookup_form"
        )
        assert slot_events(events)["verified"] is True

    @pytest.mark.parametrize(
        "field,value",
        [("last_name", "Smith"), ("zip_code", "98102"), ("vin", "1HGFE2F56MA104231")],
    )
    def test_any_mismatch_gets_the_same_neutral_answer(self, field: str, value: str) -> None:
        dispatcher, events = form_turn(ValidateLookupForm(), {}, {**SMITH_JONES, field: value}, "lookup_form")
        slots = slot_events(events)
        assert "verified" not in slots
        assert slots["verification_failures"] == 1
        assert slots["identity_recheck"] is True
        assert {k: slots[k] for k in SMITH_JONES} == {**SMITH_JONES, field: value}  # kept, not cleared
        assert slots["requested_slot"] == "identity_correction"
        assert texts(dispatcher) == (
            "I couldn't match those details to a contract. Please check your last name, ZIP code and VIN, "
            f"or call {contacts()['gap_phone']} for help."
        )

    def test_after_a_mismatch_the_fixed_value_is_checked_with_the_kept_ones(self) -> None:
        kept = {**SMITH_JONES, "zip_code": "98110"}
        t = tracker(
            {**RECHECKING, **kept, "zip_code": "98101"},
            entities=[{"entity": "zip_code", "value": "98101"}],
            active_loop="lookup_form",
            events=[
                *set_before(kept),
                {"event": "user"},
                {"event": "slot", "name": "zip_code", "value": "98101"},
            ],
        )
        _, events = run(ValidateLookupForm(), t)
        slots = slot_events(events)
        assert slots["verified"] is True and slots["identity_recheck"] is None

    def test_after_a_mismatch_a_message_that_changes_nothing_is_no_new_attempt(self) -> None:
        kept = {**SMITH_JONES, "zip_code": "98110"}
        for text, entities in [
            ("hmm let me look", []),
            ("98110", [{"entity": "zip_code", "value": "98110"}]),
        ]:
            t = tracker(
                {**RECHECKING, **kept},
                text=text,
                entities=entities,
                active_loop="lookup_form",
                events=[*set_before(kept), {"event": "user"}]
                + [{"event": "slot", "name": e["entity"], "value": e["value"]} for e in entities],
            )
            dispatcher, events = run(ValidateLookupForm(), t)
            assert "verification_failures" not in slot_events(events), text
            assert dispatcher.messages == []

    def test_after_a_mismatch_a_bare_surname_is_the_fix(self) -> None:
        kept = {**SMITH_JONES, "last_name": "Smyth"}
        t = tracker(
            {**RECHECKING, **kept},
            text="Smith-Jones",
            active_loop="lookup_form",
            events=[*set_before(kept), {"event": "user"}],
        )
        _, events = run(ValidateLookupForm(), t)
        assert slot_events(events)["verified"] is True

    @pytest.mark.parametrize(
        "form_action,form,intent,carries_on",
        [
            (ValidateLookupForm(), "lookup_form", "lookup_contract", True),
            (ValidateLookupForm(), "lookup_form", "resume", True),
            (ValidateLookupForm(), "lookup_form", "start_gap_claim", False),  # Rasa switches to the GAP form
            (ValidateLookupForm(), "lookup_form", "ask_rental", False),  # answered by its rule, then resumed
            (ValidateGapClaimForm(), "gap_claim_form", "start_gap_claim", True),
            (ValidateGapClaimForm(), "gap_claim_form", "lookup_contract", True),
        ],
    )
    def test_asked_again_for_what_it_is_doing_the_form_carries_on(
        self, form_action: Any, form: str, intent: str, carries_on: bool
    ) -> None:
        """A slot event keeps Rasa from rejecting the form; it then asks its question again."""
        t = tracker(
            {"last_name": "Smith-Jones", "requested_slot": "zip_code"},
            intent=intent,
            text="just look up my contract",
            active_loop=form,
            events=[*set_before({"last_name": "Smith-Jones"}), {"event": "user"}],
        )
        dispatcher, events = run(form_action, t)
        assert slot_events(events) == ({"zip_code": None} if carries_on else {})
        assert dispatcher.messages == []

    def test_after_a_mismatch_asking_for_the_look_up_again_asks_for_the_fix_again(self) -> None:
        t = tracker(
            {**RECHECKING, **SMITH_JONES, "zip_code": "98110"},
            intent="lookup_contract",
            text="look up my contract",
            active_loop="lookup_form",
            events=[*set_before({**SMITH_JONES, "zip_code": "98110"}), {"event": "user"}],
        )
        dispatcher, events = run(ValidateLookupForm(), t)
        slots = slot_events(events)
        assert slots.pop("requested_slot", "identity_correction") == "identity_correction"  # asked again
        assert slots == {"identity_correction": None}  # no new attempt, nothing cleared
        assert dispatcher.messages == []

    def test_third_failure_locks_and_ends_the_form(self) -> None:
        dispatcher, events = form_turn(
            ValidateGapClaimForm(),
            {"verification_failures": 2},
            {**SMITH_JONES, "zip_code": "11111"},
            "gap_claim_form",
        )
        slots = slot_events(events)
        assert slots["identity_locked"] is True
        assert slots["requested_slot"] is None
        assert dispatcher.messages == []  # the submit action hands off to the phone

    @pytest.mark.parametrize(
        "vin,expected",
        [
            ("1HGCM8263", "I counted 9"),
            ("5YJ3E1EAXPF4Q2917", "never contains the letters I, O or Q"),
            ("5YJ3E1EA1PF402917", "doesn't add up"),
        ],
    )
    def test_invalid_vin_gets_a_specific_reask(self, vin: str, expected: str) -> None:
        dispatcher, events = form_turn(
            ValidateLookupForm(),
            {"last_name": "Smith-Jones", "zip_code": "98101"},
            {"vin": vin},
            "lookup_form",
        )
        assert slot_events(events)["vin"] is None
        assert expected in texts(dispatcher)

    def test_zip_plus_four_and_lowercase_vin_are_accepted(self) -> None:
        _, events = form_turn(
            ValidateLookupForm(),
            {},
            {**SMITH_JONES, "zip_code": "98101-1234", "vin": "5yj3e1eaxpf402917"},
            "lookup_form",
        )
        assert slot_events(events)["verified"] is True

    def test_bad_zip_is_reasked(self) -> None:
        dispatcher, events = form_turn(ValidateLookupForm(), {}, {"zip_code": "nine"}, "lookup_form")
        assert slot_events(events)["zip_code"] is None
        assert "5-digit ZIP" in texts(dispatcher)

    def test_verified_customer_is_only_asked_to_confirm_a_gap_claim(self) -> None:
        _, events = form_turn(
            ValidateGapClaimForm(),
            {**proven("APP-100103"), "gap_eligible": True},
            {},
            "gap_claim_form",
        )
        assert slot_events(events)["requested_slot"] == "gap_confirmed"

    def test_contract_without_gap_ends_the_gap_form(self) -> None:
        _, events = form_turn(
            ValidateGapClaimForm(),
            {},
            {"last_name": "Sampleton", "zip_code": "30303", "vin": "3VWC57BU5MM011549"},
            "gap_claim_form",
        )
        slots = slot_events(events)
        assert slots["gap_eligible"] is False and slots["requested_slot"] is None

    def test_personal_question_that_started_the_form_is_remembered(self) -> None:
        t = tracker({}, intent="ask_my_plan", active_loop="lookup_form")
        _, events = run(ValidateLookupForm(), t)
        assert slot_events(events)["pending_question"] == "ask_my_plan"


@pytest.mark.usefixtures("demo_db")
class TestPersonalAnswers:
    def verified(self, number: str) -> dict[str, Any]:
        return proven(number)

    def test_unverified_gets_an_offer_to_look_up(self) -> None:
        dispatcher, events = run(ActionAnswerPersonal(), tracker(intent="ask_rental"))
        assert "Want me to check your own contract?" in texts(dispatcher)
        assert dispatcher.messages[0]["buttons"][0]["payload"] == "/lookup_contract"
        assert slot_events(events) == {"lookup_offered": True, "pending_question": "ask_rental"}

    def test_basic_guard_has_no_rental(self) -> None:
        dispatcher, _ = run(ActionAnswerPersonal(), tracker(self.verified("APP-100102"), intent="ask_rental"))
        assert texts(dispatcher) == "Your contract is Basic Guard, so rental reimbursement isn't included."

    def test_value_guard_has_rental(self) -> None:
        dispatcher, _ = run(ActionAnswerPersonal(), tracker(self.verified("APP-100101"), intent="ask_rental"))
        assert "your Value Guard contract includes rental reimbursement" in texts(dispatcher)

    def test_kansas_contract_has_no_trip_interruption(self) -> None:
        dispatcher, _ = run(
            ActionAnswerPersonal(), tracker(self.verified("APP-100104"), intent="ask_trip_interruption")
        )
        assert "purchased in Kansas" in texts(dispatcher)

    def test_deductible_comes_from_the_record(self) -> None:
        dispatcher, _ = run(
            ActionAnswerPersonal(), tracker(self.verified("APP-100102"), intent="ask_deductible")
        )
        assert texts(dispatcher) == "Your contract's deductible for repairs is $200.00."

    def test_unknown_deductible_is_not_invented(self) -> None:
        dispatcher, _ = run(
            ActionAnswerPersonal(), tracker(self.verified("APP-100110"), intent="ask_deductible")
        )
        assert "doesn't list a deductible" in texts(dispatcher) and "$" not in texts(dispatcher)

    def test_refund_within_60_days_is_full(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-24")
        dispatcher, _ = run(ActionAnswerPersonal(), tracker(self.verified("APP-100101"), intent="ask_cancel"))
        assert "full refund" in texts(dispatcher) and contacts()["cancel_phone"] in texts(dispatcher)

    def test_refund_after_60_days_is_prorated_from_the_record(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-24")
        dispatcher, _ = run(ActionAnswerPersonal(), tracker(self.verified("APP-100105"), intent="ask_cancel"))
        text = texts(dispatcher)
        # 2026-08-01 + 36 months, price 2,100.00: unused share of the term.
        assert "prorated because it's been more than 60 days" in text
        assert "$2,100.00" in text and "administrative fee" in text
        assert contacts()["cancel_phone"] in text

    def test_contract_end_date(self) -> None:
        dispatcher, _ = run(
            ActionAnswerPersonal(), tracker(self.verified("APP-100108"), intent="ask_contract_end")
        )
        assert "February 29, 2024" in texts(dispatcher) and "February 28, 2027" in texts(dispatcher)

    def test_vehicle_shows_only_the_last_six_of_the_vin(self) -> None:
        dispatcher, _ = run(
            ActionAnswerPersonal(), tracker(self.verified("APP-100103"), intent="ask_my_vehicle")
        )
        assert "402917" in texts(dispatcher) and "5YJ3E1EAXPF402917" not in texts(dispatcher)

    def test_locked_customer_is_sent_to_the_phone(self) -> None:
        dispatcher, _ = run(ActionAnswerPersonal(), tracker({"identity_locked": True}, intent="ask_my_plan"))
        assert contacts()["gap_phone"] in texts(dispatcher)

    def test_verify_answers_the_pending_question(self) -> None:
        t = tracker(
            {
                **self.verified("APP-100102"),
                "verified_summary": "Basic Guard",
                "pending_question": "ask_rental",
            }
        )
        dispatcher, events = run(ActionVerifyIdentity(), t)
        assert "I found your contract" in texts(dispatcher) and "Basic Guard" in texts(dispatcher)
        assert "rental reimbursement isn't included" in texts(dispatcher)
        assert slot_events(events)["pending_question"] is None


class TestTransfer:
    def test_sale_date_gives_the_deadline(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-24")
        t = tracker(intent="inform", entities=[{"entity": "date", "value": "November 10"}])
        dispatcher, _ = run(ActionAnswerTransfer(), t)
        assert "November 10, 2026" in texts(dispatcher) and "December 10, 2026" in texts(dispatcher)

    def test_without_a_date_asks_for_it(self) -> None:
        dispatcher, _ = run(ActionAnswerTransfer(), tracker(intent="ask_transfer"))
        assert "date you sold it" in texts(dispatcher)

    def test_unreadable_date_is_reasked(self) -> None:
        t = tracker(intent="inform", entities=[{"entity": "date", "value": "13/45"}])
        dispatcher, _ = run(ActionAnswerTransfer(), t)
        assert "couldn't read that as a sale date" in texts(dispatcher)


@pytest.mark.usefixtures("demo_db")
class TestGapClaims:
    def submit(self, slots: dict[str, Any]) -> tuple:
        return run(ActionSubmitGapClaim(), tracker(slots))

    def test_opens_a_claim_with_reference_and_review_date(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-25")  # Wednesday before Thanksgiving
        dispatcher, events = self.submit({**proven("APP-100103"), "gap_confirmed": True})
        text = texts(dispatcher)
        assert "Reference: GAP-" in text and "November 30, 2026" in text
        assert contacts()["gap_phone"] in text
        assert slot_events(events)["gap_confirmed"] is None
        assert services.latest_gap_claim("APP-100103") is not None

    def test_asking_twice_returns_the_open_claim(self) -> None:
        first, _ = self.submit({**proven("APP-100103"), "gap_confirmed": True})
        second, _ = self.submit({**proven("APP-100103"), "gap_confirmed": True})
        reference = services.latest_gap_claim("APP-100103").reference
        assert reference in texts(first) and reference in texts(second)
        assert "already have an open GAP claim" in texts(second)

    def test_no_gap_addendum(self) -> None:
        dispatcher, events = self.submit({**proven("APP-100105")})
        assert "doesn't include a GAP addendum" in texts(dispatcher)
        assert services.latest_gap_claim("APP-100105") is None

    def test_cancelled_contract(self) -> None:
        dispatcher, _ = self.submit({**proven("APP-100106"), "gap_confirmed": True})
        assert "This contract is cancelled" in texts(dispatcher)

    def test_declined_confirmation_files_nothing(self) -> None:
        dispatcher, _ = self.submit({**proven("APP-100103"), "gap_confirmed": False})
        assert "haven't opened a claim" in texts(dispatcher)
        assert services.latest_gap_claim("APP-100103") is None

    def test_locked_conversation_hands_off(self) -> None:
        dispatcher, _ = run(ActionSubmitGapClaim(), tracker({"identity_locked": True}))
        assert contacts()["gap_phone"] in texts(dispatcher)

    def test_gap_status_after_a_claim(self) -> None:
        self.submit({**proven("APP-100103"), "gap_confirmed": True})
        t = tracker(proven("APP-100103"), intent="ask_gap_status")
        dispatcher, _ = run(ActionAnswerPersonal(), t)
        assert services.latest_gap_claim("APP-100103").reference in texts(dispatcher)


def test_database_down_gets_a_useful_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    from bot.data.engine import reset_engine_cache

    reset_engine_cache()
    t = tracker(proven("APP-100103"), intent="ask_rental")
    dispatcher, _ = run(ActionAnswerPersonal(), t)
    assert "can't reach our contract system" in texts(dispatcher)
    assert contacts()["gap_phone"] in texts(dispatcher)


class TestConversation:
    def test_stop_clears_personal_data_and_ends_the_form(self) -> None:
        dispatcher, events = run(
            ActionStopForm(), tracker(SMITH_JONES, intent="stop", active_loop="gap_claim_form")
        )
        assert any(e.get("event") == "active_loop" and e.get("name") is None for e in events)
        slots = slot_events(events)
        assert slots["last_name"] is None and slots["vin"] is None and slots["zip_code"] is None
        assert "nothing was filed" in texts(dispatcher)

    def test_did_you_mean_offers_the_likeliest_topics(self) -> None:
        t = tracker(intent="nlu_fallback")
        t.latest_message["intent_ranking"] = [
            {"name": "nlu_fallback", "confidence": 0.5},
            {"name": "ask_rental", "confidence": 0.4},
            {"name": "ask_trip_interruption", "confidence": 0.3},
            {"name": "inform", "confidence": 0.2},
        ]
        dispatcher, _ = run(ActionDefaultAskAffirmation(), t)
        payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
        assert payloads == ["/ask_rental", "/ask_trip_interruption", "/out_of_scope"]

    def test_final_fallback_hands_off_and_reverts(self) -> None:
        dispatcher, events = run(ActionDefaultFallback(), tracker(intent="nlu_fallback"))
        assert events == [{"event": "rewind", "timestamp": None}]
        assert dispatcher.messages[1]["response"] == "utter_human"


def test_database_down_during_verification_ends_the_form_without_locking(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    from bot.data.engine import reset_engine_cache

    reset_engine_cache()
    dispatcher, events = form_turn(ValidateLookupForm(), {}, SMITH_JONES, "lookup_form")
    slots = slot_events(events)
    assert slots["contract_system_down"] is True and "identity_locked" not in slots
    assert slots["requested_slot"] is None
    assert "can't reach our contract system" in texts(dispatcher)
    after, events = run(ActionVerifyIdentity(), tracker({"contract_system_down": True}))
    assert after.messages == [] and slot_events(events) == {"contract_system_down": None}


@pytest.mark.usefixtures("demo_db")
@pytest.mark.parametrize(
    "intent,text",
    [("urgent_roadside", "my car died on the freeway"), ("ask_rental", "is my rental covered?")],
)
def test_an_off_form_message_sets_no_slot_so_the_form_rejects_it(intent: str, text: str) -> None:
    t = tracker(
        {"requested_slot": "zip_code", "last_name": "Haddad", "lookup_offered": False},
        intent=intent,
        text=text,
        active_loop="gap_claim_form",
        events=[{"event": "user"}],
    )
    _, events = run(ValidateGapClaimForm(), t)
    assert events == []


@pytest.mark.usefixtures("demo_db")
def test_a_rare_surname_misread_as_stop_still_answers_the_question() -> None:
    t = tracker(
        {"requested_slot": "last_name"},
        intent="stop",
        text="quimby",
        active_loop="lookup_form",
        events=[{"event": "user"}],
    )
    _, events = run(ValidateLookupForm(), t)
    assert slot_events(events)["last_name"] == "quimby"


# A forged tracker (anyone who can post to the action server), another
# conversation's proof, and one that lapsed: none proves a verification.
UNPROVEN = [
    {"verified": True, "verification": None},
    {"verified": True, "verification": "forged.proof.value"},
    proven("APP-100103", sender="rest:someone-else"),
    proven("APP-100103", issued_at=time.time() - 3600),
]


@pytest.mark.usefixtures("demo_db")
class TestTheActionsTrustOnlyTheirOwnProof:
    @pytest.mark.parametrize("slots", UNPROVEN)
    def test_no_contract_detail_and_identity_is_checked_again(self, slots: dict[str, Any]) -> None:
        dispatcher, events = run(ActionAnswerPersonal(), tracker(slots, intent="ask_my_plan"))
        assert "APP-100103" not in texts(dispatcher) and "Feature Guard" not in texts(dispatcher)
        assert "check your details again" in texts(dispatcher)
        assert slot_events(events)["verified"] is None and slot_events(events)["verification"] is None
        assert {"event": "followup", "timestamp": None, "name": "lookup_form"} in events

    @pytest.mark.parametrize("slots", UNPROVEN)
    def test_no_gap_claim_is_filed(self, slots: dict[str, Any]) -> None:
        dispatcher, _ = run(ActionSubmitGapClaim(), tracker({**slots, "gap_confirmed": True}))
        assert "GAP-" not in texts(dispatcher)
        assert services.latest_gap_claim("APP-100103") is None

    @pytest.mark.parametrize("slots", UNPROVEN)
    def test_the_gap_form_asks_for_identity_again(self, slots: dict[str, Any]) -> None:
        form = ValidateGapClaimForm()
        t = tracker(slots, active_loop="gap_claim_form")
        required = asyncio.run(
            form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(), t, DOMAIN)
        )
        assert required == ["last_name", "zip_code", "vin", "gap_confirmed"]

    def test_a_personal_answer_renews_the_proof(self) -> None:
        old = proven("APP-100101", issued_at=time.time() - 600)
        _, events = run(ActionAnswerPersonal(), tracker(old, intent="ask_rental"))
        renewed = slot_events(events)["verification"]
        key = derive(TEST_SECRET_KEY, Purpose.VERIFICATION)
        assert renewed != old["verification"]
        assert proof.proven_contract(key, renewed, SENDER, max_age=60) == "APP-100101"

    def test_a_verification_is_indexed_for_erasure(self) -> None:
        form_turn(ValidateLookupForm(), {}, SMITH_JONES, "lookup_form")
        with session_scope() as session:
            rows = session.query(VerifiedConversation).all()
        assert [(r.conversation_id, r.contract_number) for r in rows] == [(SENDER, "APP-100103")]

    def test_a_locked_conversation_never_checks_the_right_details(self) -> None:
        """Typed after the lock, while the form is still open, the right details are not checked."""
        _, events = form_turn(ValidateLookupForm(), {"identity_locked": True}, SMITH_JONES, "lookup_form")
        slots = slot_events(events)
        assert "verified" not in slots and "verification" not in slots

    def test_failures_in_other_conversations_lock_the_vin(self) -> None:
        """New sender ids (and clients) per guess, as the brute force did: the VIN's count is shared."""
        for guess in range(5):
            _, events = form_turn(
                ValidateLookupForm(),
                {},
                {**SMITH_JONES, "zip_code": f"9000{guess}"},
                "lookup_form",
                sender=f"rest:attacker-{guess}",
            )
        assert slot_events(events)["identity_locked"] is True
        dispatcher, events = form_turn(
            ValidateLookupForm(), {}, SMITH_JONES, "lookup_form", sender="rest:owner"
        )
        slots = slot_events(events)
        assert slots["identity_locked"] is True and "verified" not in slots
        assert slots["last_name"] is None and slots["zip_code"] is None and slots["vin"] is None
        assert dispatcher.messages == []  # the verify action says to call
        after, _ = run(ActionVerifyIdentity(), tracker({"identity_locked": True}, sender="rest:owner"))
        assert contacts()["gap_phone"] in texts(after)
