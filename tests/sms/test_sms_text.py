import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sms.text import (
    MAX_MESSAGE_CHARS,
    Keyword,
    OptOutRequest,
    gsm_friendly,
    keyword,
    opt_out_request,
    option_number,
    split_message,
    twiml,
)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("STOP", Keyword.OPT_OUT),
        ("stop", Keyword.OPT_OUT),
        ("  Stop.  ", Keyword.OPT_OUT),
        ("StopAll", Keyword.OPT_OUT),
        ("UNSUBSCRIBE", Keyword.OPT_OUT),
        ("cancel", Keyword.OPT_OUT),
        ("End!", Keyword.OPT_OUT),
        ("quit", Keyword.OPT_OUT),
        ("START", Keyword.OPT_IN),
        ("unstop", Keyword.OPT_IN),
        ("help", Keyword.HELP),
        ("INFO", Keyword.HELP),
        ("please stop", None),
        ("how do I cancel", None),
        ("cancel my contract", None),
        ("stopped", None),
        ("", None),
    ],
)
def test_keywords_match_the_whole_message_only(body, expected):
    assert keyword(body) is expected


@pytest.mark.parametrize(
    "body, expected",
    [
        ("1", 1),
        (" 2 ", 2),
        ("3.", 3),
        ("#1", 1),
        ("2)", 2),
        ("12", 12),
        ("123", None),
        ("1 please", None),
        ("one", None),
        ("", None),
        ("-1", None),
    ],
)
def test_option_number(body, expected):
    assert option_number(body) == expected


def test_gsm_friendly_replaces_typographic_characters():
    assert (
        gsm_friendly("24/7 \u2014 Bank \u2022 you\u2019re \u201cok\u201d\u2026")
        == '24/7 - Bank - you\'re "ok"...'
    )


def test_short_text_is_one_part():
    assert split_message("Hello.\nLine two.") == ["Hello.\nLine two."]
    assert split_message("   ") == []


def test_long_text_is_cut_between_sentences():
    sentence = "This sentence is exactly fifty characters long ok."
    text = " ".join([sentence] * 40)  # 2,039 characters
    parts = split_message(text)
    assert len(parts) == 2
    assert all(len(p) <= MAX_MESSAGE_CHARS for p in parts)
    assert all(p.endswith(".") for p in parts)  # no sentence was cut


def test_a_word_longer_than_the_limit_is_cut():
    assert split_message("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=800), st.integers(5, 200))
def test_split_parts_fit_and_keep_every_word(text, limit):
    parts = split_message(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_twiml_sends_one_message_per_body_and_escapes_it():
    root = ET.fromstring(twiml(["a <b> & c", "second"]))
    assert [m.text for m in root.iter("Message")] == ["a <b> & c", "second"]


def test_empty_twiml_is_silence():
    root = ET.fromstring(twiml([]))
    assert root.tag == "Response" and list(root) == []


@pytest.mark.parametrize(
    "body, expected",
    [
        ("stop please", OptOutRequest.CLEAR),
        ("Please stop!!", OptOutRequest.CLEAR),
        ("STOP texting me", OptOutRequest.CLEAR),
        ("please stop sending me these messages, thanks", OptOutRequest.CLEAR),
        ("unsubscribe me", OptOutRequest.CLEAR),
        ("opt out", OptOutRequest.CLEAR),
        ("Opt-out please", OptOutRequest.CLEAR),
        ("don't text me", OptOutRequest.CLEAR),
        ("Don\u2019t text me anymore", OptOutRequest.CLEAR),
        ("no more texts", OptOutRequest.CLEAR),
        ("cancel the texts", OptOutRequest.CLEAR),
        ("cancel please", OptOutRequest.UNSURE),  # the contract, or the texts?
        ("end it", OptOutRequest.UNSURE),
        ("I don't want to stop", OptOutRequest.UNSURE),
        ("stop sending texts about my claim", OptOutRequest.UNSURE),
        ("how do I cancel", None),
        ("cancel my contract", None),
        ("when does my contract end", None),
        ("my car won't stop", None),
        ("stop the claim", None),
        ("is my rental covered?", None),
        ("", None),
    ],
)
def test_requests_to_stop_in_other_words(body, expected):
    assert opt_out_request(body) is expected
