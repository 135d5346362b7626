"""Contents and their units: mg/kg, μg/kg and g/kg (and their Chinese spellings),
converted exactly, and the folding that makes names and units width-, case- and
bracket-insensitive."""

from __future__ import annotations

import math
import unicodedata
from decimal import Decimal
from numbers import Real

from app.errors import ValidationError

MAX_MG_KG = 1_000_000.0  # 1 000 000 mg/kg = 1 kg per kg, i.e. 100 % of the sample mass

# Exponent of ten that turns the unit into mg/kg.
_UNITS = {
    "mg/kg": 0,
    "毫克/千克": 0,
    "μg/kg": -3,  # NFKC folds the micro sign µ into the Greek μ
    "ug/kg": -3,
    "微克/千克": -3,
    "g/kg": 3,
    "克/千克": 3,
}

# Lab reports and spreadsheets spell the same name with different brackets,
# primes and dashes; NFKC handles full-width forms, this table the rest.
_NAME_FOLD = str.maketrans(
    {
        "[": "(",
        "]": ")",
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "‘": "'",
        "’": "'",
        "′": "'",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
        "−": "-",
    }
)


def fold(text: str) -> str:
    """Lookup key: width-, case-, bracket- and whitespace-insensitive."""
    folded = unicodedata.normalize("NFKC", text).translate(_NAME_FOLD).casefold()
    return "".join(folded.split())


def show(value: object, limit: int = 50) -> str:
    """A user's value for a message, cut short so an error cannot echo a whole upload."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


class InvalidField(Exception):
    """Internal: one bad field of one sample, re-keyed by the caller."""

    def __init__(self, field: str, message: str, unknown: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.unknown = unknown


CANONICAL_UNIT = {0: "mg/kg", -3: "μg/kg", 3: "g/kg"}


def canonical_unit(unit: str) -> str:
    """The unit as stored: "mg/kg", "μg/kg" or "g/kg", however it was typed."""
    return CANONICAL_UNIT[unit_exponent(unit)]


def unit_exponent(unit: object) -> int:
    if not isinstance(unit, str):
        raise InvalidField("unit", f"单位应为文本：“{show(unit)}”")
    if not unit.strip():
        raise InvalidField("unit", "缺少单位")
    exponent = _UNITS.get(fold(unit))
    if exponent is None:
        raise InvalidField("unit", f"未知单位：“{show(unit.strip())}”（可用 mg/kg、μg/kg、g/kg）")
    return exponent


def number_of(value: object, what: str, field: str = "value") -> float:
    """A finite, non-negative float from a JSON/CSV number; bool is not a number."""
    if type(value) is not float and (isinstance(value, bool) or not isinstance(value, Real)):
        raise InvalidField(field, f"{what}必须是数字：“{show(value)}”")
    try:
        number = float(value)
    except OverflowError:
        raise InvalidField(field, f"{what}超出合理范围：“{show(value)}”") from None
    if not math.isfinite(number):
        raise InvalidField(field, f"{what}必须是有限数：“{show(value)}”")
    if number < 0:
        raise InvalidField(field, f"{what}不能为负数：“{show(value)}”")
    return number


def scaled(value: object, exponent: int, unit: object) -> float:
    number = number_of(value, "检测值")
    if exponent:
        # Decimal scaling keeps "550 μg/kg" exactly equal to float("0.55"), so a
        # value at a boundary stays at it whatever unit the lab reported in.
        number = float(Decimal(repr(number)).scaleb(exponent))
    if number > MAX_MG_KG:
        raise InvalidField(
            "value",
            f"检测值超出合理范围（最大 1000000 mg/kg）：“{show(value)} {show(unit)}”",
        )
    return number


def to_mg_kg(value: float, unit: str) -> float:
    """Convert a content in mg/kg, μg/kg (ug/kg) or g/kg (or 毫克/千克…) to mg/kg."""
    try:
        return scaled(value, unit_exponent(unit), unit)
    except InvalidField as e:
        raise ValidationError(e.message, fields={e.field: e.message}) from None
