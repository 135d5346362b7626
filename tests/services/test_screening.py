"""Screening against GB 36600-2018: limits, units, lookup, footnote ①, samples CSV."""

import csv
import math
from decimal import Decimal
from pathlib import Path

import pytest

from app.errors import ValidationError
from app.services.screening import (
    LEVELS,
    all_pollutants,
    level_for,
    lookup_pollutant,
    parse_samples_csv,
    screen,
    to_mg_kg,
    validate_samples_list,
)

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference" / "gb36600_2018.csv"
PROJECT_COPY = REPO / "app" / "data" / "gb36600_2018.csv"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


REFERENCE_ROWS = _read(REFERENCE) if REFERENCE.exists() else []
needs_reference = pytest.mark.skipif(
    not REFERENCE_ROWS, reason="../shared/reference/gb36600_2018.csv not present"
)
ROW_CASES = [
    pytest.param(row, category, id=f"{row['pollutant_en']}-cat{category}")
    for row in REFERENCE_ROWS
    for category in (1, 2)
]


def _limits(row: dict[str, str], category: int) -> tuple[str, str]:
    return row[f"screen_cat{category}"], row[f"intervene_cat{category}"]


def _up(x: float) -> float:
    """The next float above x: the smallest content that exceeds x."""
    return math.nextafter(x, math.inf)


def _one(category: int, pollutant: str, value, unit: str = "mg/kg") -> dict:
    out = screen(category, [{"pollutant": pollutant, "value": value, "unit": unit}])
    return out["results"][0]


# --- reference data -------------------------------------------------------


@needs_reference
def test_project_copy_matches_the_shared_reference():
    project = _read(PROJECT_COPY)
    assert len(REFERENCE_ROWS) == 85
    assert len(project) == len(REFERENCE_ROWS)
    for ref, own in zip(REFERENCE_ROWS, project, strict=True):
        assert {k: own[k] for k in ref} == ref


def test_all_pollutants_holds_85_standard_items_and_the_extras():
    pollutants = all_pollutants()
    standard = [p for p in pollutants if p.screening != (None, None)]
    assert len(standard) == 85
    assert {"zinc", "chromium"} <= {p.key for p in pollutants if p not in standard}
    assert len({p.key for p in pollutants}) == len(pollutants)
    for p in standard:
        for category in (0, 1):
            assert p.screening[category] <= p.intervention[category]


@needs_reference
@pytest.mark.parametrize(("row", "category"), ROW_CASES)
def test_levels_at_the_limits(row, category):
    pollutant = lookup_pollutant(row["pollutant_zh"])
    assert pollutant is not None
    assert pollutant.name_en == row["pollutant_en"]
    assert pollutant.cas == (row["cas"] or None)
    screening, intervention = (float(v) for v in _limits(row, category))
    assert pollutant.screening[category - 1] == screening
    assert pollutant.intervention[category - 1] == intervention

    # "超过" is strictly greater: a value equal to a limit does not exceed it.
    assert level_for(pollutant, category, screening) == "below_screening"
    if intervention > screening:
        assert level_for(pollutant, category, _up(screening)) == "above_screening"
        assert level_for(pollutant, category, intervention) == "above_screening"
    assert level_for(pollutant, category, _up(intervention)) == "above_intervention"


@needs_reference
@pytest.mark.parametrize(("row", "category"), ROW_CASES)
def test_limit_reported_in_ug_per_kg_is_still_at_the_limit(row, category):
    screening_text, _ = _limits(row, category)
    ug = float(Decimal(screening_text) * 1000)  # what a lab would type, e.g. 550
    result = _one(category, row["pollutant_zh"], ug, "μg/kg")
    assert result["value_mg_kg"] == float(screening_text)
    assert result["level"] == "below_screening"
    assert result["screening_value"] == float(screening_text)


# --- units ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "mg_kg"),
    [
        (1000, "μg/kg", 1.0),
        (1000, "µg/kg", 1.0),  # micro sign, not Greek mu
        (1000, "ug/kg", 1.0),
        (1000, "微克/千克", 1.0),
        (0.02, "g/kg", 20.0),
        (0.02, "克/千克", 20.0),
        (20, " MG/KG ", 20.0),
        (20, "毫克/千克", 20.0),
        (20, "ｍｇ／ｋｇ", 20.0),  # full-width, as a Chinese IME types it
        (0, "mg/kg", 0.0),
        (1_000_000, "mg/kg", 1_000_000.0),
    ],
)
def test_to_mg_kg(value, unit, mg_kg):
    assert to_mg_kg(value, unit) == mg_kg


def test_unit_conversion_at_the_cadmium_boundary():
    # Cadmium, first category: screening value 20 mg/kg.
    assert _one(1, "镉", 0.02, "g/kg")["level"] == "below_screening"
    assert _one(1, "镉", 20000, "μg/kg")["level"] == "below_screening"
    assert _one(1, "镉", 20001, "ug/kg")["level"] == "above_screening"
    assert _one(1, "镉", 0.0201, "g/kg")["level"] == "above_screening"


def test_unknown_unit_is_named():
    with pytest.raises(ValidationError) as exc:
        to_mg_kg(1, "ppm")
    assert "ppm" in exc.value.message
    assert "ppm" in exc.value.fields["unit"]


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (True, "mg/kg", "True"),
        ("12", "mg/kg", "12"),
        (None, "mg/kg", "None"),
        (float("nan"), "mg/kg", "nan"),
        (float("inf"), "mg/kg", "inf"),
        (-0.1, "mg/kg", "-0.1"),
        (1_000_001, "mg/kg", "1000001"),
        (1001, "g/kg", "1001"),
        (10**400, "mg/kg", "1000"),
    ],
)
def test_bad_values_are_refused_and_named(value, unit, shown):
    with pytest.raises(ValidationError) as exc:
        to_mg_kg(value, unit)
    assert shown in exc.value.message
    assert "value" in exc.value.fields


# --- lookup ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("镉", "cadmium"),
        ("Cadmium", "cadmium"),
        ("  cadmium ", "cadmium"),
        ("7440-43-9", "cadmium"),
        ("Cd", "cadmium"),
        ("铬（六价）", "chromium_vi"),
        ("铬(六价)", "chromium_vi"),
        ("六价铬", "chromium_vi"),
        ("Cr6+", "chromium_vi"),
        ("Cr(VI)", "chromium_vi"),
        ("CHROMIUM (VI)", "chromium_vi"),
        ("18540-29-9", "chromium_vi"),
        ("Cr", "chromium"),
        ("铬", "chromium"),
        ("Pb", "lead"),
        ("As", "arsenic"),
        ("Hg", "mercury"),
        ("Cu", "copper"),
        ("Ni", "nickel"),
        ("石油烃", "tph_c10_c40"),
        ("石油烃(C10-C40)", "tph_c10_c40"),
        ("108-38-3", "m_p_xylene"),
        ("106-42-3", "m_p_xylene"),
        ("m,p-Xylene", "m_p_xylene"),
        ("间/对二甲苯", "m_p_xylene"),
        ("间二甲苯+对二甲苯", "m_p_xylene"),
        ("Lindane", "gamma_hch"),
        ("γ-六六六", "gamma_hch"),
        ("DEHP", "dehp"),
        ("BaP", "benzo_a_pyrene"),
        ("苯并(a)芘", "benzo_a_pyrene"),
        ("苯并[a]芘", "benzo_a_pyrene"),
        ("䓛", "chrysene"),
        ("屈", "chrysene"),
        ("1,2-dichloroethane", "1_2_dichloroethane"),
        ("3,3’-二氯联苯胺", "3_3_dichlorobenzidine"),
        ("锌", "zinc"),
        ("Zinc", "zinc"),
        ("7440-66-6", "zinc"),
    ],
)
def test_lookup(name, key):
    pollutant = lookup_pollutant(name)
    assert pollutant is not None and pollutant.key == key


@pytest.mark.parametrize("name", ["铀", "", "   ", "Uranium", "7440-61-1", "二甲苯"])
def test_lookup_of_unknown_names_is_none(name):
    assert lookup_pollutant(name) is None


def test_unknown_pollutants_are_all_named_in_one_error():
    samples = [
        {"pollutant": "铅", "value": 1, "unit": "mg/kg"},
        {"pollutant": "铀", "value": 1, "unit": "mg/kg"},
        {"pollutant": "钚", "value": 1, "unit": "mg/kg"},
    ]
    with pytest.raises(ValidationError) as exc:
        screen(1, samples)
    assert "铀" in exc.value.message and "钚" in exc.value.message
    assert exc.value.fields == {
        "samples[1].pollutant": "未知污染物：“铀”",
        "samples[2].pollutant": "未知污染物：“钚”",
    }


def test_unknown_unit_in_screen_is_keyed_by_sample():
    with pytest.raises(ValidationError) as exc:
        screen(2, [{"pollutant": "铅", "value": 1, "unit": "ppb"}])
    assert "ppb" in exc.value.message
    assert "ppb" in exc.value.fields["samples[0].unit"]


# --- levels and screen() --------------------------------------------------


@pytest.mark.parametrize("category", [1, 2])
def test_zinc_has_no_standard(category):
    out = screen(category, [{"pollutant": "锌", "value": 5000, "unit": "mg/kg"}])
    assert out["results"][0]["level"] == "no_standard"
    assert out["results"][0]["screening_value"] is None
    assert out["max_level"] == "no_standard"


def test_result_shape_and_order():
    out = screen(
        2,
        [
            {"pollutant": "Lead", "value": 900, "unit": "mg/kg", "point_id": "S1"},
            {"pollutant": "锌", "value": 1, "unit": "mg/kg"},
            {"pollutant": "7440-43-9", "value": 1, "unit": "g/kg", "depth_m": 0.5},
        ],
    )
    assert out["results"][0] == {
        "pollutant": "铅",
        "pollutant_en": "Lead",
        "cas": "7439-92-1",
        "value_mg_kg": 900.0,
        "screening_value": 800.0,
        "intervention_value": 2500.0,
        "level": "above_screening",
    }
    assert [r["pollutant"] for r in out["results"]] == ["铅", "锌", "镉"]
    assert [r["level"] for r in out["results"]] == [
        "above_screening",
        "no_standard",
        "above_intervention",
    ]
    assert out["max_level"] == "above_intervention"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([("锌", 1)], "no_standard"),
        ([("锌", 1), ("铅", 1)], "below_screening"),
        ([("铅", 401), ("锌", 1), ("铅", 1)], "above_screening"),
        ([("铅", 801), ("铅", 401)], "above_intervention"),
    ],
)
def test_max_level(values, expected):
    samples = [{"pollutant": p, "value": v, "unit": "mg/kg"} for p, v in values]
    assert screen(1, samples)["max_level"] == expected
    assert expected in LEVELS


@pytest.mark.parametrize("category", [0, 3, "1", 1.0, True, None])
def test_land_category_must_be_1_or_2(category):
    with pytest.raises(ValidationError) as exc:
        screen(category, [{"pollutant": "铅", "value": 1, "unit": "mg/kg"}])
    assert "land_category" in exc.value.fields


def test_empty_samples_are_refused():
    with pytest.raises(ValidationError) as exc:
        screen(1, [])
    assert exc.value.message == "至少需要一个样品"


# --- GB 36600 footnote ①: background values -------------------------------


@pytest.mark.parametrize(
    ("pollutant", "category", "value", "background", "level"),
    [
        # Arsenic: cat1 20/120, cat2 60/140 — footnote on both categories.
        ("砷", 1, 25, None, "above_screening"),
        ("砷", 1, 25, 30, "below_screening"),
        ("砷", 1, 30, 30, "below_screening"),
        ("砷", 1, 35, 30, "above_screening"),
        ("砷", 1, 130, 200, "above_intervention"),
        ("砷", 2, 70, 80, "below_screening"),
        ("砷", 2, 90, 80, "above_screening"),
        # Cobalt: cat1 20/190, cat2 70/350 — both categories.
        ("钴", 1, 25, 30, "below_screening"),
        ("钴", 2, 75, 80, "below_screening"),
        # Vanadium: cat1 165/330, cat2 752/1500 — first category only.
        ("钒", 1, 200, 250, "below_screening"),
        ("钒", 2, 800, 900, "above_screening"),
        # Lead has no footnote: a background value changes nothing.
        ("铅", 1, 500, 600, "above_screening"),
    ],
)
def test_background_footnote(pollutant, category, value, background, level):
    p = lookup_pollutant(pollutant)
    assert level_for(p, category, value, background) == level
    backgrounds = None if background is None else {pollutant: background}
    samples = [{"pollutant": pollutant, "value": value, "unit": "mg/kg"}]
    assert screen(category, samples, backgrounds)["results"][0]["level"] == level


def test_backgrounds_are_keyed_by_any_name_and_checked():
    samples = [{"pollutant": "砷", "value": 25, "unit": "mg/kg"}]
    assert screen(1, samples, {"As": 30})["results"][0]["level"] == "below_screening"
    with pytest.raises(ValidationError) as exc:
        screen(1, samples, {"铀": 30})
    assert "铀" in exc.value.message
    with pytest.raises(ValidationError):
        screen(1, samples, {"As": -1})


# --- JSON samples list ----------------------------------------------------


def test_validate_samples_list_normalises():
    out = validate_samples_list(
        [
            {
                "pollutant": " 铅 ",
                "value": 12,
                "unit": "mg/kg",
                "point_id": "S1",
                "depth_m": 1,
            },
            {"pollutant": "Cd", "value": 0.5, "unit": "g/kg"},
        ]
    )
    assert out == [
        {
            "point_id": "S1",
            "depth_m": 1.0,
            "pollutant": "铅",
            "value": 12.0,
            "unit": "mg/kg",
        },
        {
            "point_id": "",
            "depth_m": None,
            "pollutant": "Cd",
            "value": 0.5,
            "unit": "g/kg",
        },
    ]


@pytest.mark.parametrize(
    ("item", "field", "named"),
    [
        (
            {"pollutant": "铀", "value": 1, "unit": "mg/kg"},
            "samples[0].pollutant",
            "铀",
        ),
        ({"pollutant": "铅", "value": 1, "unit": "ppm"}, "samples[0].unit", "ppm"),
        ({"pollutant": "铅", "value": "1", "unit": "mg/kg"}, "samples[0].value", "1"),
        ({"pollutant": "铅", "value": 1, "unit": "mg/kg", "x": 1}, "samples[0].x", "x"),
        ({"pollutant": "铅", "unit": "mg/kg"}, "samples[0].value", "value"),
        (
            {"pollutant": "铅", "value": 1, "unit": "mg/kg", "depth_m": -2},
            "samples[0].depth_m",
            "-2",
        ),
        (
            {"pollutant": "铅", "value": 1, "unit": "mg/kg", "point_id": 7},
            "samples[0].point_id",
            "7",
        ),
        ("铅", "samples[0]", "对象"),
    ],
)
def test_validate_samples_list_refuses(item, field, named):
    with pytest.raises(ValidationError) as exc:
        validate_samples_list([item])
    assert named in exc.value.fields[field]


@pytest.mark.parametrize("items", [[], None, {"pollutant": "铅"}])
def test_validate_samples_list_needs_a_non_empty_list(items):
    with pytest.raises(ValidationError) as exc:
        validate_samples_list(items)
    assert "samples" in exc.value.fields


# --- samples CSV ----------------------------------------------------------

CHINESE_CSV = (
    "点位编号,深度(m),污染物,检测值,单位\n"
    "S1,0.5,铅,400,mg/kg\n"
    "S1,1.5,铬（六价）,3500,μg/kg\n"
    'S2,,"1,2-二氯乙烷",0.6,mg/kg\n'
)
EXPECTED = [
    {
        "point_id": "S1",
        "depth_m": 0.5,
        "pollutant": "铅",
        "value": 400.0,
        "unit": "mg/kg",
    },
    {
        "point_id": "S1",
        "depth_m": 1.5,
        "pollutant": "铬（六价）",
        "value": 3500.0,
        "unit": "μg/kg",
    },
    {
        "point_id": "S2",
        "depth_m": None,
        "pollutant": "1,2-二氯乙烷",
        "value": 0.6,
        "unit": "mg/kg",
    },
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(encoding):
    samples = parse_samples_csv(CHINESE_CSV.encode(encoding))
    assert samples == EXPECTED
    levels = [r["level"] for r in screen(1, samples)["results"]]
    assert levels == ["below_screening", "above_screening", "above_screening"]


def test_csv_english_headers_crlf_and_variants():
    raw = (
        "\ufeff Point_ID ,Depth (m),POLLUTANT,Value,Unit,remarks\r\n"
        "S1,0.5,Lead,400,mg/kg,ok\r\n"
        "\r\n"
        ",,,,,\r\n"
        "S1,1.5,Chromium (VI),3500,ug/kg,\r\n"
    ).encode()
    samples = parse_samples_csv(raw)
    assert [s["pollutant"] for s in samples] == ["Lead", "Chromium (VI)"]
    assert samples[1]["unit"] == "ug/kg"


def test_csv_header_suffixes_are_ignored():
    raw = "点位编号,深度/m,污染物,检测值（mg/kg）,单位\nS1,2,镉,1,mg/kg\n".encode()
    assert parse_samples_csv(raw)[0]["depth_m"] == 2.0


def test_csv_depth_and_point_id_columns_are_optional():
    samples = parse_samples_csv(b"pollutant,value,unit\nPb,1,mg/kg\n")
    assert samples == [
        {
            "point_id": "",
            "depth_m": None,
            "pollutant": "Pb",
            "value": 1.0,
            "unit": "mg/kg",
        }
    ]


def test_csv_missing_columns_are_listed():
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv("点位编号,深度,污染物\nS1,0.5,铅\n".encode())
    assert "检测值" in exc.value.message and "单位" in exc.value.message
    assert "污染物（" not in exc.value.message


def test_csv_bad_number_names_the_line():
    raw = "点位编号,深度,污染物,检测值,单位\nS1,0.5,铅,1,mg/kg\n\nS2,0.5,铅,ND,mg/kg\n"
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv(raw.encode())
    assert "第 4 行" in exc.value.message and "ND" in exc.value.message
    assert "第 4 行" in exc.value.fields["samples"]


@pytest.mark.parametrize(("cell", "named"), [("nan", "nan"), ("1_000", "1_000"), ("-3", "-3")])
def test_csv_refuses_odd_numbers(cell, named):
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv(f"pollutant,value,unit\nPb,{cell},mg/kg\n".encode())
    assert "第 2 行" in exc.value.message and named in exc.value.message


def test_csv_unknown_pollutant_and_unit_name_value_and_line():
    raw = "pollutant,value,unit\nPb,1,mg/kg\n铀,1,mg/kg\nPb,1,ppm\n".encode()
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv(raw)
    assert "铀" in exc.value.message and "ppm" in exc.value.message
    assert "第 3 行：未知污染物：“铀”" in exc.value.fields["samples"]
    assert "第 4 行" in exc.value.fields["samples"]


def test_csv_size_cap():
    raw = CHINESE_CSV.encode()
    assert parse_samples_csv(raw, max_bytes=len(raw)) == EXPECTED
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv(raw, max_bytes=len(raw) - 1)
    assert str(len(raw) - 1) in exc.value.message


def test_csv_row_cap():
    raw = CHINESE_CSV.encode()
    assert len(parse_samples_csv(raw, max_rows=3)) == 3
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv(raw, max_rows=2)
    assert "2" in exc.value.message


def test_csv_refuses_long_fields_and_wide_rows():
    long_name = "铅" * 201
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv(f"pollutant,value,unit\n{long_name},1,mg/kg\n".encode())
    assert "200" in exc.value.message and "第 2 行" in exc.value.message
    wide = ",".join(["pollutant", "value", "unit"] + [f"c{i}" for i in range(48)])
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv(f"{wide}\nPb,1,mg/kg\n".encode())
    assert "50" in exc.value.message


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\n\n",
        b"pollutant,value,unit\n",
        b"\xff\xfep\x00o\x00",  # UTF-16, as Excel's "Unicode text" writes
        b"PK\x03\x04\x14\x00\x00\x00",  # an .xlsx uploaded as CSV
    ],
)
def test_csv_refuses_empty_or_binary(raw):
    with pytest.raises(ValidationError):
        parse_samples_csv(raw)


def test_csv_row_longer_than_header_is_refused():
    with pytest.raises(ValidationError) as exc:
        parse_samples_csv(b"pollutant,value,unit\nPb,1,mg/kg,extra\n")
    assert "第 2 行" in exc.value.message
