import pytest

from app.errors import ValidationError
from app.services.credit_codes import (
    ALPHABET,
    is_valid_credit_code,
    make_credit_code,
    normalize_credit_code,
)

# Published codes. Each passes both the GB 32100 check character and the
# GB 11714 check of its organisation-code part (positions 9-17), which a
# mistyped code would do only by a 1-in-341 chance.
REAL_CODES = [
    "91350100M000100Y43",  # the worked example in GB 32100-2015
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "911000001000013428",  # 中国银行股份有限公司
    "91100000100003962T",  # 中国工商银行股份有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert is_valid_credit_code(code)
    assert normalize_credit_code(code) == code


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_character_change_is_refused(code):
    # The check character catches any one substitution, anywhere, so every
    # neighbour of a real code in the alphabet must fail.
    for pos in range(18):
        i = ALPHABET.index(code[pos])
        for other in (ALPHABET[(i + 1) % 31], ALPHABET[(i - 1) % 31]):
            mutated = code[:pos] + other + code[pos + 1 :]
            assert not is_valid_credit_code(mutated), mutated
            with pytest.raises(ValidationError):
                normalize_credit_code(mutated)


def test_adjacent_transposition_is_refused():
    code = "914403001922038216"
    swapped = code[:9] + code[10] + code[9] + code[11:]
    assert swapped != code
    assert not is_valid_credit_code(swapped)


def test_check_character_zero_when_sum_is_a_multiple_of_31():
    # 31 - 0 = 31 is written "0" (GB 32100-2015 5.2); a seed whose weighted sum is 0.
    assert make_credit_code("0" * 17) == "0" * 18
    assert is_valid_credit_code("0" * 18)


def test_lowercase_and_padding_are_normalised():
    assert normalize_credit_code("  91350100m000100y43\n") == "91350100M000100Y43"
    # Full-width characters from a Chinese IME are folded too.
    assert normalize_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"
    # is_valid_credit_code is strict: the raw lowercase text is not a code.
    assert not is_valid_credit_code("91350100m000100y43")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91350100M000100Y4", "18位"),
        ("91350100M000100Y433", "18位"),
        ("9135 0100M000100Y43", "18位"),
        ("91350100I000100Y43", "不允许的字符"),
        ("91350100O000100Y43", "不允许的字符"),
        ("91350100Z000100Y43", "不允许的字符"),
        ("91350100S000100Y43", "不允许的字符"),
        ("91350100V000100Y43", "不允许的字符"),
        ("91350100M000100Y4-", "不允许的字符"),
        ("91350100M000100Y44", "校验位"),
    ],
)
def test_invalid_codes_are_refused_with_a_reason(code, words):
    assert not is_valid_credit_code(code)
    with pytest.raises(ValidationError) as err:
        normalize_credit_code(code, field="contractor_credit_code")
    assert words in err.value.message
    assert err.value.fields == {"contractor_credit_code": err.value.message}


@pytest.mark.parametrize("value", [None, "", "   ", 913501001, b"91350100M000100Y43"])
def test_missing_or_non_text_is_refused(value):
    assert not is_valid_credit_code(value)
    with pytest.raises(ValidationError) as err:
        normalize_credit_code(value)
    assert err.value.fields == {"credit_code": "请填写统一社会信用代码"}


def test_make_credit_code_mints_valid_codes():
    for seed in (
        "91350100M000100Y4",
        "9144030071526726X",
        "12330100MB0000000",
        "92440300MA5FXXXXX",
    ):
        code = make_credit_code(seed)
        assert code[:17] == seed
        assert is_valid_credit_code(code)
    assert make_credit_code("91350100M000100Y4") == "91350100M000100Y43"


@pytest.mark.parametrize("seed", ["9135010", "91350100M000100Y43", "91350100O000100Y4"])
def test_make_credit_code_refuses_bad_seeds(seed):
    with pytest.raises(ValueError):
        make_credit_code(seed)
