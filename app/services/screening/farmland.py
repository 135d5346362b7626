"""GB 15618-2018 as data: risk screening (筛选值) and intervention (管制值) values for
agricultural land by pollutant, pH band and land use, and the class of cultivated
land they give (issue 21).

《土壤环境质量 农用地土壤污染风险管控标准（试行）》 GB 15618-2018, Tables 1–3, as
transcribed in ``app/data/gb15618_2018.csv`` (a copy of the project's checked
reference). "Exceeds" (超过) is strictly greater than the value.

Classification of cultivated land (《农用地土壤环境质量类别划分技术指南》): by the
five items that have an intervention value — cadmium, mercury, arsenic, lead and
chromium —

- no sample above the screening value → priority protection (优先保护类);
- above the screening value, none above the intervention value → safe use (安全利用类);
- any above the intervention value → strict control (严格管控类).

Copper, nickel, zinc and the organic items have screening values only: a content
above them is reported ("risk possible: monitor") but decides no class.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "gb15618_2018.csv"

CLASSES = ("priority", "safe_use", "strict")
CLASS_LABELS_ZH = {"priority": "优先保护类", "safe_use": "安全利用类", "strict": "严格管控类"}
CLASS_RANK = {"priority": 0, "safe_use": 1, "strict": 2}

# The land uses of a unit, and the column of the standard each reads.
LAND_USES = ("paddy", "dryland", "orchard", "vegetable", "other")
LAND_USE_LABELS_ZH = {"paddy": "水田", "dryland": "旱地", "orchard": "果园", "vegetable": "菜地",
                      "other": "其他耕地"}  # fmt: skip

BANDS = ("<=5.5", "5.5-6.5", "6.5-7.5", ">7.5")
BAND_LABELS = {"<=5.5": "pH≤5.5", "5.5-6.5": "5.5<pH≤6.5", "6.5-7.5": "6.5<pH≤7.5",
               ">7.5": "pH>7.5"}  # fmt: skip

# The standard names its items in Chinese; the app keys them like GB 36600's.
KEYS = {
    "镉": "cadmium", "汞": "mercury", "砷": "arsenic", "铅": "lead", "铬": "chromium",
    "铜": "copper", "镍": "nickel", "锌": "zinc", "六六六总量": "hch_total",
    "滴滴涕总量": "ddt_total", "苯并[a]芘": "benzo_a_pyrene",
}  # fmt: skip
CLASSIFYING = ("cadmium", "mercury", "arsenic", "lead", "chromium")


@dataclass(frozen=True)
class Limits:
    key: str
    name_zh: str
    land_use: str  # the standard's column: 水田, 其他, 果园 or 不分
    band: str  # a pH band, or 不分
    screening: float
    intervention: float | None


@functools.cache
def _table() -> dict[tuple[str, str, str], Limits]:
    rows: dict[tuple[str, str, str], Limits] = {}
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name = row["pollutant_zh"].strip()
            key = KEYS[name]
            intervene = row["intervene"].strip()
            limits = Limits(key, name, row["land_use"].strip(), row["ph_band"].strip(),
                            float(row["screen"]),
                            float(intervene) if intervene else None)  # fmt: skip
            rows[(key, limits.land_use, limits.band)] = limits
    return rows


def pollutant_keys() -> list[str]:
    """The items of the standard, in its order."""
    seen: list[str] = []
    for key, _, _ in _table():
        if key not in seen:
            seen.append(key)
    return seen


def name_of(key: str) -> str:
    """The standard's Chinese name of ``key``."""
    return {v: k for k, v in KEYS.items()}.get(key, key)


def key_for(name: str) -> str | None:
    """A pollutant's key from its Chinese name, English name or symbol."""
    from app.services.screening.standard import lookup_pollutant
    from app.services.screening.units import fold

    text = (name or "").strip()
    if text in KEYS:
        return KEYS[text]
    folded = fold(text)
    for zh, key in KEYS.items():
        if fold(zh) == folded or folded == key:
            return key
    extra = {"hch": "hch_total", "ddt": "ddt_total", "六六六": "hch_total", "滴滴涕": "ddt_total"}
    if folded in extra:
        return extra[folded]
    known = lookup_pollutant(text)
    return known.key if known is not None and known.key in KEYS.values() else None


def band_of(ph: float) -> str:
    """The pH band of the standard's tables: ≤5.5, (5.5, 6.5], (6.5, 7.5], >7.5."""
    if not isinstance(ph, (int, float)) or isinstance(ph, bool) or not math.isfinite(ph):
        raise ValueError("pH must be a number")
    if not 0 <= ph <= 14:
        raise ValueError("pH must lie between 0 and 14")
    if ph <= 5.5:
        return "<=5.5"
    if ph <= 6.5:
        return "5.5-6.5"
    if ph <= 7.5:
        return "6.5-7.5"
    return ">7.5"


def _column(key: str, land_use: str) -> str:
    if key == "copper":
        return "果园" if land_use == "orchard" else "其他"
    if key in ("nickel", "zinc", "hch_total", "ddt_total", "benzo_a_pyrene"):
        return "不分"
    return "水田" if land_use == "paddy" else "其他"


def limits_for(key: str, land_use: str, ph: float) -> Limits:
    """The values that apply to ``key`` on land of ``land_use`` at ``ph``."""
    if land_use not in LAND_USES:
        raise ValueError(f"unknown land use {land_use!r}")
    column = _column(key, land_use)
    table = _table()
    found = table.get((key, column, band_of(ph))) or table.get((key, column, "不分"))
    if found is None:
        raise KeyError(key)
    return found


@dataclass(frozen=True)
class Result:
    key: str
    value: float
    ph: float
    limits: Limits
    level: str  # below_screening, above_screening, above_intervention

    @property
    def classifying(self) -> bool:
        return self.key in CLASSIFYING

    @property
    def class_(self) -> str | None:
        """The class this result gives, or None (an item that classifies nothing)."""
        if not self.classifying:
            return None
        return {"below_screening": "priority", "above_screening": "safe_use",
                "above_intervention": "strict"}[self.level]  # fmt: skip


def screen(key: str, value: float, land_use: str, ph: float) -> Result:
    """One content (mg/kg) at ``ph`` on ``land_use`` against the standard."""
    limits = limits_for(key, land_use, ph)
    if limits.intervention is not None and value > limits.intervention:
        level = "above_intervention"
    elif value > limits.screening:
        level = "above_screening"
    else:
        level = "below_screening"
    return Result(key, value, ph, limits, level)


def classify(results: list[Result]) -> tuple[str | None, Result | None]:
    """The class the results give (the worst) and the result that decides it; (None,
    None) when no result of a classifying item is there."""
    deciding: Result | None = None
    for r in results:
        if r.class_ is None:
            continue
        if deciding is None or (CLASS_RANK[r.class_], r.value / r.limits.screening) > (
            CLASS_RANK[deciding.class_],
            deciding.value / deciding.limits.screening,
        ):
            deciding = r
    return (deciding.class_ if deciding else None), deciding
