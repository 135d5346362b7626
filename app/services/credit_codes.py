"""统一社会信用代码 (unified social credit code) checks, GB 32100-2015.

A code is 18 characters: registration authority (1), entity category (1),
administrative division (6), entity identifier (9, the GB 11714 organisation
code) and one check character. The alphabet is the digits and the capital
letters without I, O, Z, S and V (31 symbols), so that a code read aloud or
copied by hand cannot confuse 1/I, 0/O, 2/Z, 5/S or U/V.

Only the alphabet, the length and the GB 32100 check character are enforced.
The first two characters are deliberately not matched against the list of
registration authorities: that list grows (e.g. ``A`` for the military,
``N`` for agriculture) and a stale list would refuse real, registered parties.
The GB 11714 check of characters 9-17 is not enforced either: the GB 32100
character already catches every single-character error and every transposition
of two characters, and a false refusal would lock a real company out.
"""

import unicodedata

from app.errors import ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Weight of position i is 3**i mod 31 (GB 32100-2015, 5.2).
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def _check_char(body: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(body, WEIGHTS, strict=True))
    # 31 - (sum mod 31), where a result of 31 is written as "0".
    return ALPHABET[(31 - total % 31) % 31]


def _canonical(code: str) -> str:
    # NFKC folds full-width input (ＡＢ１２, common with Chinese IMEs) to ASCII.
    return unicodedata.normalize("NFKC", code).strip().upper()


def _problem(code: str) -> str | None:
    """The reason ``code`` (already canonical) is not valid, or None."""
    if len(code) != LENGTH:
        return f"统一社会信用代码应为18位，当前为{len(code)}位"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        shown = "、".join(repr(ch)[1:-1] if not ch.isprintable() else ch for ch in bad)
        return f"统一社会信用代码含有不允许的字符：{shown}（只能由数字和除 I、O、Z、S、V 以外的大写字母组成）"
    if _check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确，请逐位核对营业执照或登记证书上的代码"
    return None


def is_valid_credit_code(code: str) -> bool:
    """True when ``code`` is exactly a valid code: no trimming, no case folding."""
    if not isinstance(code, str) or len(code) != LENGTH:
        return False
    return _problem(code) is None


def normalize_credit_code(code: object, *, field: str = "credit_code") -> str:
    """The canonical form of a code a user typed, or ValidationError.

    Surrounding whitespace is dropped, letters are upper-cased and full-width
    characters folded, so ``" 91350100m000100y43 "`` is accepted. ``field`` names
    the form/JSON field in the error's ``fields`` (e.g. ``contractor_credit_code``).
    """
    if not isinstance(code, str) or not code.strip():
        message = "请填写统一社会信用代码"
        raise ValidationError(message, {field: message})
    canonical = _canonical(code)
    problem = _problem(canonical)
    if problem:
        raise ValidationError(problem, {field: problem})
    return canonical


def make_credit_code(seed17: str) -> str:
    """``seed17`` followed by its check character: mints valid codes for tests and demo data."""
    seed = seed17.strip().upper()
    if len(seed) != 17 or any(ch not in _VALUE for ch in seed):
        raise ValueError(f"seed must be 17 characters of {ALPHABET!r}, got {seed17!r}")
    return seed + _check_char(seed)
