"""Risk control (风险管控, issue 15) as data: the media monitored, the units a
monitored value may come in, and the comparison of a monitoring report's values
with the limits of the case's risk-control plan. Pure: no Flask, no database.

A value exceeds its limit when it is strictly greater, after both are put in
the same unit (mass fraction for soil, mass concentration for water and air).
A value with no limit for its medium and pollutant is kept but not compared.
"""

from __future__ import annotations

import unicodedata

MEDIA = ("soil", "surface_water", "groundwater", "air")
MEDIA_LABELS_ZH = {"soil": "土壤", "surface_water": "地表水", "groundwater": "地下水",
                   "air": "环境空气"}  # fmt: skip

# unit → (dimension, factor to the dimension's base unit)
UNITS = {
    "mg/kg": ("mass_fraction", 1.0),
    "μg/kg": ("mass_fraction", 1e-3),
    "g/kg": ("mass_fraction", 1e3),
    "mg/l": ("water", 1.0),
    "μg/l": ("water", 1e-3),
    "ng/l": ("water", 1e-6),
    "g/l": ("water", 1e3),
    "mg/m3": ("air", 1.0),
    "μg/m3": ("air", 1e-3),
    "ng/m3": ("air", 1e-6),
}
DIMENSION_OF_MEDIUM = {"soil": "mass_fraction", "surface_water": "water", "groundwater": "water",
                       "air": "air"}  # fmt: skip


def unit_key(unit: str) -> str | None:
    """``"µg/L"``, ``"ug/l"``, ``"mg/m³"`` → a key of ``UNITS``, or None."""
    text = unicodedata.normalize("NFKC", str(unit)).strip().casefold().replace(" ", "")
    text = text.replace("µ", "μ").replace("ug/", "μg/").replace("³", "3")
    return text if text in UNITS else None


def unit_problem(medium: str, unit: str) -> str | None:
    """Why ``unit`` cannot measure ``medium``, or None."""
    key = unit_key(unit)
    if key is None:
        return f"不支持的单位“{unit}”（可用：{'、'.join(UNITS)}）"
    if UNITS[key][0] != DIMENSION_OF_MEDIUM[medium]:
        return f"单位 {unit} 不适用于{MEDIA_LABELS_ZH[medium]}"
    return None


def in_base(value: float, unit: str) -> float:
    return value * UNITS[unit_key(unit)][1]


def exceedances(values: list[dict], limits: list[dict], same_pollutant) -> list[dict]:
    """The values above their limit. ``same_pollutant(a, b)`` says whether two names
    denote one pollutant (the caller knows GB 36600's aliases)."""
    out = []
    for v in values:
        for lim in limits:
            if lim["medium"] != v["medium"] or not same_pollutant(lim["pollutant"], v["pollutant"]):
                continue
            if in_base(v["value"], v["unit"]) > in_base(lim["limit"], lim["unit"]):
                out.append({"point_id": v.get("point_id") or "", "medium": v["medium"],
                            "pollutant": v["pollutant"], "value": v["value"], "unit": v["unit"],
                            "limit": lim["limit"], "limit_unit": lim["unit"]})  # fmt: skip
            break
    return out
