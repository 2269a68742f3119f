import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.domain.identity as identity
from bot.domain.identity import (
    check_typed_vin,
    check_vin,
    identity_matches,
    mask_name,
    mask_phone,
    mask_vin,
    mask_zip,
    normalize_name,
    normalize_zip,
    zip_is_real,
    zip_state,
)

GOOD_VIN = "1HGFE2F56MA104231"  # demo contract APP-100101


@pytest.mark.parametrize(
    "raw, key",
    [
        ("O'Brien-Núñez", "obriennunez"),
        ("o’brien – núñez", "obriennunez"),
        ("OʼBRIEN—NUNEZ", "obriennunez"),
        ("O`Brien Nuñez", "obriennunez"),
        ("Smith-Jones", "smithjones"),
        ("  van der Berg ", "vanderberg"),
        ("Strauß", "strauss"),
        ("Zoë", "zoe"),
        ("Łukasz Søren-Yıldız", "lukaszsorenyildiz"),
        ("Kaʻahumanu", "kaahumanu"),
        ("", ""),
        ("123 '-", ""),
    ],
)
def test_normalize_name(raw, key):
    assert normalize_name(raw) == key


# Latin letters with their accented forms: what US contract names are written in.
_name_letters = st.text(
    st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x24F), min_size=1, max_size=12
)
_noise = st.sampled_from([" ", "'", "’", "ʼ", "`", "-", "–", "—"])


@settings(max_examples=80, deadline=None)
@given(
    parts=st.lists(_name_letters, min_size=1, max_size=3),
    seps=st.lists(_noise, min_size=2, max_size=2),
)
def test_name_key_ignores_case_and_separators(parts, seps):
    plain = "".join(parts)
    decorated = seps[0].join(parts).upper() + seps[1]
    assert normalize_name(decorated) == normalize_name(plain)
    assert normalize_name(normalize_name(plain)) == normalize_name(plain)


@pytest.mark.parametrize("raw", ["66044", "66044-1234", "66044 1234", "660441234", " 66044 "])
def test_normalize_zip_accepts_zip_plus_4(raw):
    assert normalize_zip(raw) == "66044"


@pytest.mark.parametrize("raw", ["", "6604", "660445", "66044-123", "abcde", "66O44", "66044--1234", "٦٦٠٤٤"])
def test_normalize_zip_rejects(raw):
    assert normalize_zip(raw) is None


def test_zip_state_and_reality():
    assert zip_state("66044") == "KS"
    assert zip_state("60614") == "IL"
    assert zip_state("00000") is None
    assert zip_state("abc") is None
    assert zip_is_real("97201") and not zip_is_real("99999")


def test_check_vin_accepts_and_normalises():
    assert check_vin(GOOD_VIN) == identity.VinCheck(True, GOOD_VIN, None)
    assert check_vin(" 1hg fe2f56-ma104231 ").vin == GOOD_VIN


@pytest.mark.parametrize(
    "raw, problem",
    [
        (GOOD_VIN[:-1], "length"),
        (GOOD_VIN + "1", "length"),
        ("", "length"),
        ("1HGFE2F56MA1O4231", "characters"),  # letter O
        ("IHGFE2F56MA104231", "characters"),  # letter I
        ("1HGFE2F56MAQ04231", "characters"),  # letter Q
        ("1HGFE2F56MA10423!", "characters"),
        ("1HGFE2F57MA104231", "check_digit"),
    ],
)
def test_check_vin_problems(raw, problem):
    result = check_vin(raw)
    assert (result.ok, result.vin, result.problem) == (False, None, problem)


def test_check_vin_treats_vininfo_errors_as_bad_check_digit(monkeypatch):
    def explode(_vin):
        raise RuntimeError("cannot decode")

    monkeypatch.setattr(identity, "Vin", explode)
    assert check_vin(GOOD_VIN).problem == "check_digit"


def test_masks_hide_all_but_a_little():
    assert mask_vin(GOOD_VIN) == "…104231"
    assert mask_vin("1hg-fe2f56 ma104231") == "…104231"
    assert mask_zip("66044") == "***44"
    assert mask_name("Núñez") == "N***"
    assert mask_name("") == "***"
    assert mask_phone("+1 (785) 555-0142") == "***42"


def test_identity_matches_all_three_after_normalisation():
    assert identity_matches("O'Connor", "60614", GOOD_VIN, "oconnor", "60614-0001", "1hg fe2f56 ma104231")


@pytest.mark.parametrize(
    "last_name, zip_code, vin",
    [
        ("Connor", "60614", GOOD_VIN),
        ("O'Connor", "60615", GOOD_VIN),
        ("O'Connor", "60614", "1HGFE2F56MA104232"),
        ("", "60614", GOOD_VIN),
        ("O'Connor", "", GOOD_VIN),
        ("O'Connor", "60614", ""),
    ],
)
def test_identity_mismatch(last_name, zip_code, vin):
    assert not identity_matches("O'Connor", "60614", GOOD_VIN, last_name, zip_code, vin)


@pytest.mark.parametrize("typed", ["1HGFE2F56MA1O4231", "IHGFE2F56MA104231", "1hgfe2f56ma1o4231"])
def test_a_typed_vin_reads_o_and_i_as_0_and_1_when_the_check_digit_agrees(typed):
    assert check_typed_vin(typed) == identity.VinCheck(True, GOOD_VIN, None)


def test_a_typed_vin_keeps_its_problem_when_the_check_digit_disagrees():
    assert check_typed_vin("1HGFE2F56MAO04231").problem == "characters"  # 0 there breaks the check digit
    assert check_typed_vin("1HGFE2F56MAQ04231").problem == "characters"  # Q is not a look-alike
    assert check_typed_vin("1HGFE2F57MA104231").problem == "check_digit"
