"""Open data of the register (DESIGN.md §7): GeoJSON (RFC 7946) and CSV with
spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from sqlalchemy import select

import workflows
from app.extensions import db
from app.models import LedgerEvent
from app.services import regions
from app.services.public.plot import day_of
from app.services.public.register import (
    LEVEL_LABELS_ZH,
    PHASES,
    Filters,
    all_public,
    oriented,
    public_url,
)
from app.services.sites import PLANNED_USE_ZH, cleared_for_json


def geojson(filters: Filters | None = None) -> dict:
    features = []
    for row in all_public(filters):
        site = row.site
        features.append(
            {
                "type": "Feature",
                "id": site.code,
                "geometry": oriented(site.boundary),
                "properties": {
                    "code": site.code,
                    "name": site.name,
                    "township": site.township,
                    "county_code": site.county_code,
                    "county": regions.name(site.county_code),
                    "state": row.case.state,
                    "state_label": workflows.STATE_LABELS_ZH[row.case.state],
                    "phase": PHASES[row.case.state],
                    "land_category": site.land_category,
                    "pollutants": [p["name"] for p in row.pollutants],
                    "cleared_for": cleared_for_json(site),
                    "url": public_url("public.site", code=site.code),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------- CSV

CSV_COLUMNS = [
    ("code", "地块编码"),
    ("name", "地块名称"),
    ("township", "乡镇"),
    ("address", "地址"),
    ("area_m2", "面积（平方米）"),
    ("planned_use", "规划用途"),
    ("land_category", "用地类别"),
    ("former_industry", "原行业"),
    ("state", "状态代码"),
    ("state_label", "状态"),
    ("pollutants", "关注污染物"),
    ("listed_on", "列入名录日期"),
    ("released_on", "移出名录日期"),
    # DESIGN §10: the use and category the plot was last cleared for, and whether
    # it is being investigated again (a use change or the bureau reopened it).
    ("cleared_use", "办结时适用用途"),
    ("cleared_category", "办结时用地类别"),
    ("cleared_on", "办结日期"),
    ("reinvestigation", "重新调查中"),
    ("lon", "中心经度"),
    ("lat", "中心纬度"),
    ("url", "网页"),
    # Issue 18: the county (GB/T 2260 code and name); last, so that the columns
    # above keep their places for existing readers.
    ("county_code", "县级行政区划代码"),
    ("county", "所在县（市、区）"),
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """Neutralise spreadsheet formulas (CWE-1236): a cell that would start with
    = + - @ TAB or CR gets a leading single quote, so Excel and WPS show it as text."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def listing_dates(case_ids: list[int]) -> dict[int, dict[str, str]]:
    """First listing and last release date per case, from the ledger."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    if not case_ids:
        return out
    rows = db.session.execute(
        select(LedgerEvent.case_id, LedgerEvent.to_state, LedgerEvent.at)
        .where(
            LedgerEvent.case_id.in_(case_ids),
            LedgerEvent.to_state.in_(("listed", "released")),
            LedgerEvent.from_state != LedgerEvent.to_state,
        )
        .order_by(LedgerEvent.seq)
    )
    for case_id, to_state, at in rows:
        key = "listed_on" if to_state == "listed" else "released_on"
        if key == "listed_on" and key in out[case_id]:
            continue
        out[case_id][key] = day_of(at).isoformat()
    return out


def csv_bytes(filters: Filters | None = None) -> bytes:
    """The register as CSV: UTF-8 with a BOM so Excel opens the Chinese right."""
    rows = all_public(filters)
    dates = listing_dates([r.case.id for r in rows])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for r in rows:
        s = r.site
        values = {
            "code": s.code,
            "name": s.name,
            "township": s.township,
            "address": s.address,
            "area_m2": f"{float(s.area_m2):.2f}",
            "planned_use": PLANNED_USE_ZH.get(s.planned_use, s.planned_use),
            "land_category": s.land_category,
            "former_industry": s.former_industry,
            "state": r.case.state,
            "state_label": workflows.STATE_LABELS_ZH[r.case.state],
            "pollutants": "；".join(
                f"{p['name']}（{LEVEL_LABELS_ZH[p['level']]}）" for p in r.pollutants
            ),
            "listed_on": dates.get(r.case.id, {}).get("listed_on"),
            "released_on": dates.get(r.case.id, {}).get("released_on")
            if r.case.state == "released"
            else None,
            "cleared_use": PLANNED_USE_ZH.get(s.cleared_use, s.cleared_use),
            "cleared_category": s.cleared_category,
            "cleared_on": s.cleared_on.isoformat() if s.cleared_on else None,
            "reinvestigation": "是" if r.case.state in workflows.NON_PUBLIC_STATES else None,
            "lon": f"{s.lon:.6f}" if s.lon is not None else None,
            "lat": f"{s.lat:.6f}" if s.lat is not None else None,
            "url": public_url("public.site", code=s.code),
            "county_code": s.county_code,
            "county": regions.name(s.county_code),
        }
        writer.writerow([csv_cell(values[k]) for k, _ in CSV_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
