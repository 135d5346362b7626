"""GB 36600-2018 as data: the pollutants, their screening (筛选值) and intervention
(管制值) values per land category, and the level of one content against them.

土壤污染防治法 第五十九条、第六十条 (DESIGN.md §4). Reference values live in ``app/data``.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from app.errors import ValidationError
from app.services.screening.units import InvalidField, fold, number_of, show

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

LEVELS = ("below_screening", "above_screening", "above_intervention", "no_standard")
# max_level: a pollutant without a standard says the least about the plot.
RANK = {
    "no_standard": 0,
    "below_screening": 1,
    "above_screening": 2,
    "above_intervention": 3,
}


@dataclass(frozen=True)
class Pollutant:
    """One pollutant; values are mg/kg for (first, second) land category."""

    key: str
    name_zh: str
    name_en: str
    cas: str | None
    screening: tuple[float | None, float | None]
    intervention: tuple[float | None, float | None]
    background_footnote: str | None  # "both", "cat1" or None (GB 36600 注①)

    def background_applies(self, land_category: int) -> bool:
        """Whether 注① (background value) applies to this category."""
        return self.background_footnote == "both" or (
            self.background_footnote == "cat1" and land_category == 1
        )


def _opt_float(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _split(text: str, sep: str) -> list[str]:
    return [part.strip() for part in text.split(sep) if part.strip()]


@functools.cache
def _registry() -> tuple[tuple[Pollutant, ...], dict[str, Pollutant]]:
    """Load both CSVs once; refuse data where one name would mean two pollutants."""
    entries: list[tuple[Pollutant, list[str]]] = []
    with (DATA_DIR / "gb36600_2018.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            cas = row["cas"].strip() or None
            pollutant = Pollutant(
                key=row["key"].strip(),
                name_zh=row["pollutant_zh"].strip(),
                name_en=row["pollutant_en"].strip(),
                cas=cas,
                screening=(
                    _opt_float(row["screen_cat1"]),
                    _opt_float(row["screen_cat2"]),
                ),
                intervention=(
                    _opt_float(row["intervene_cat1"]),
                    _opt_float(row["intervene_cat2"]),
                ),
                background_footnote=row["background_footnote"].strip() or None,
            )
            # The m+p-xylene row carries two CAS numbers; either one finds it.
            names = [pollutant.name_zh, pollutant.name_en, *_split(row["aliases"], ";")]
            if cas:
                names += [cas, *_split(cas, ",")]
            entries.append((pollutant, names))
    with (DATA_DIR / "pollutants_extra.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            cas = row["cas"].strip() or None
            pollutant = Pollutant(
                key=row["key"].strip(),
                name_zh=row["pollutant_zh"].strip(),
                name_en=row["pollutant_en"].strip(),
                cas=cas,
                screening=(None, None),
                intervention=(None, None),
                background_footnote=None,
            )
            names = [pollutant.name_zh, pollutant.name_en, *_split(row["aliases"], ";")]
            if cas:
                names.append(cas)
            entries.append((pollutant, names))

    index: dict[str, Pollutant] = {}
    keys: set[str] = set()
    for pollutant, names in entries:
        if pollutant.key in keys or not pollutant.key:
            raise ValueError(f"pollutant key {pollutant.key!r} is empty or repeated")
        if pollutant.background_footnote not in (None, "both", "cat1"):
            raise ValueError(f"{pollutant.key}: bad background_footnote")
        keys.add(pollutant.key)
        for name in names:
            known = index.setdefault(fold(name), pollutant)
            if known is not pollutant:
                raise ValueError(f"name {name!r} means both {known.key} and {pollutant.key}")
    return tuple(p for p, _ in entries), index


def all_pollutants() -> list[Pollutant]:
    """Every known pollutant: the 85 GB 36600 items, then those without a standard."""
    return list(_registry()[0])


@functools.cache
def _by_key() -> dict[str, Pollutant]:
    return {p.key: p for p in _registry()[0]}


def pollutant_by_key(key: str) -> Pollutant | None:
    """The pollutant stored under ``key`` (the stable slug kept on sample rows)."""
    return _by_key().get(key)


def lookup_pollutant(name: str) -> Pollutant | None:
    """Find a pollutant by Chinese or English name, CAS number or alias."""
    if not isinstance(name, str):
        return None
    return _registry()[1].get(fold(name))


def category_index(land_category: object) -> int:
    if type(land_category) is not int or land_category not in (1, 2):
        message = f"用地类别必须是 1 或 2：“{show(land_category)}”"
        raise ValidationError(message, fields={"land_category": message})
    return land_category - 1


def level_of(
    pollutant: Pollutant, index: int, value: float, background: float | None = None
) -> str:
    screening = pollutant.screening[index]
    if screening is None:
        return "no_standard"
    intervention = pollutant.intervention[index]
    # "超过" is strictly greater: a value equal to a limit does not exceed it.
    if intervention is not None and value > intervention:
        return "above_intervention"
    if value <= screening:
        return "below_screening"
    if background is not None and value <= background and pollutant.background_applies(index + 1):
        return "below_screening"  # 注①: within the local background, not contamination
    return "above_screening"


def level_for(
    pollutant: Pollutant,
    land_category: int,
    value_mg_kg: float,
    background_mg_kg: float | None = None,
) -> str:
    """Level of one content (mg/kg) for a land category, honouring GB 36600 注①."""
    index = category_index(land_category)
    try:
        value = number_of(value_mg_kg, "检测值")
        background = (
            None
            if background_mg_kg is None
            else number_of(background_mg_kg, "背景值", "background")
        )
    except InvalidField as e:
        raise ValidationError(e.message, fields={e.field: e.message}) from None
    return level_of(pollutant, index, value, background)
