"""Unified social credit code validation (GB 32100-2015)."""

import pytest
from django.core.exceptions import ValidationError

from clients.validators import make_uscc, normalize_uscc, validate_uscc

# Codes of real, public enterprises (printed on their business licences and in annual reports).
REAL_CODES = [
    "91110000600037341L",  # the example in python-stdnum's documentation
    "91520000214434146R",  # 贵州茅台酒股份有限公司
    "914403001922038216",  # 华为技术有限公司
    "91310000132149237G",  # 上海汽车集团股份有限公司
    "91440300708461136T",  # 腾讯科技（深圳）有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_accepted(code):
    validate_uscc(code)


def test_generated_codes_are_accepted():
    for n in range(200):
        validate_uscc(make_uscc(f"91520100{n:09d}"))


def test_lower_case_and_spaces_are_normalised_before_validation():
    code = make_uscc("91520100000000042")
    validate_uscc(code.lower())
    assert normalize_uscc(f" {code[:8]} {code[8:]} ".lower()) == code


@pytest.mark.parametrize(
    ("code", "error_code", "words"),
    [
        ("", "uscc_length", "18 characters"),
        ("9152010000000004", "uscc_length", "18 characters"),
        ("9152010000000004211", "uscc_length", "18 characters"),
        ("91520100000000042I", "uscc_alphabet", "not allowed"),  # I is never used
        ("9152010000000O042X", "uscc_alphabet", "not allowed"),  # O is never used
        ("91520100_0000004.2", "uscc_alphabet", "not allowed"),
        ("H15201000000000420", "uscc_authority", "authority"),
        ("9152A1000000000420", "uscc_region", "region"),
    ],
)
def test_malformed_codes_are_refused_with_the_rule_they_break(code, error_code, words):
    with pytest.raises(ValidationError) as info:
        validate_uscc(code)
    assert info.value.code == error_code
    assert words in str(info.value.messages[0])


def test_wrong_check_character_is_refused_and_the_message_says_so():
    good = make_uscc("91520100000000042")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        validate_uscc(wrong)
    assert info.value.code == "uscc_checksum"
    assert "check character" in info.value.messages[0]
    assert good[17] in info.value.messages[0]


def test_every_single_character_substitution_is_caught():
    """The check character catches any one wrong character (the property the standard is built on)."""
    from clients.validators import USCC_ALPHABET

    good = make_uscc("91520100MA6DKX8L0")
    for position in range(8, 17):
        for c in USCC_ALPHABET:
            if c == good[position]:
                continue
            bad = good[:position] + c + good[position + 1 :]
            with pytest.raises(ValidationError):
                validate_uscc(bad)


# --- resident identity numbers (GB 11643-1999) -------------------------------------------------------


def test_an_identity_number_whose_region_has_no_county_is_refused_not_an_error(bank, api_as):
    """python-stdnum raises KeyError for region codes without a county entry (110019): the validator
    turns it into the same field error as any other bad number, on the API too (found by bench.fuzz)."""
    from clients.validators import validate_resident_id

    with pytest.raises(ValidationError) as refused:
        validate_resident_id("110019199001010013")
    assert refused.value.error_list[0].code == "ric_invalid"
    response = api_as(bank.rm_gy1).post("/api/v1/persons/", {"name": "王五", "id_number": "110019199001010013"},
                                        format="json")
    assert response.status_code == 400 and "id_number" in response.json()
