"""Screening of soil samples against GB 36600-2018 (建设用地土壤污染风险管控标准).

土壤污染防治法 第五十九条、第六十条: a survey whose samples exceed the risk
control standard leads to a risk assessment, so the bureau needs a faithful,
repeatable comparison of every sample with the screening (筛选值) and
intervention (管制值) values of the plot's land category (DESIGN.md §4).

Pure Python: no Flask, no database. ``standard`` is the standard as data,
``units`` the contents and their units, ``samples`` a batch screened at once,
``csv_reading`` a laboratory's CSV.
"""

from app.services.screening.csv_reading import parse_samples_csv
from app.services.screening.samples import screen, validate_samples_list
from app.services.screening.standard import (
    LEVELS,
    Pollutant,
    all_pollutants,
    level_for,
    level_of,
    lookup_pollutant,
    pollutant_by_key,
)
from app.services.screening.units import (
    InvalidField,
    canonical_unit,
    scaled,
    to_mg_kg,
    unit_exponent,
)

__all__ = [
    "LEVELS",
    "InvalidField",
    "Pollutant",
    "all_pollutants",
    "canonical_unit",
    "level_for",
    "level_of",
    "lookup_pollutant",
    "parse_samples_csv",
    "pollutant_by_key",
    "scaled",
    "screen",
    "to_mg_kg",
    "unit_exponent",
    "validate_samples_list",
]
