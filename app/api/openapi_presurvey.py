"""The OpenAPI description of DESIGN §12 (before the survey): suspected plots and
ordered surveys, key supervised units and their filings, the published list.
Merged into ``openapi.spec``."""

from __future__ import annotations

from app.services.sites import LAND_CATEGORY
from workflows import presurvey as rules

DATE = {"type": "string", "format": "date"}
CREDIT_CODE = {"type": "string", "minLength": 18, "maxLength": 18}
YEAR = {"type": "integer", "minimum": 2000, "maximum": 2100}
COUNTY = {
    "type": "string",
    "maxLength": 50,
    "description": "GB/T 2260 county code or name (default: the officer's own county)",
}


def _s(max_len: int, min_len: int = 1) -> dict:
    return {"type": "string", "minLength": min_len, "maxLength": max_len}


def schemas(obj) -> dict:
    return {
        "SuspectInput": obj(
            {"name": _s(200), "township": _s(50), "address": _s(300), "former_industry": _s(200),
             "source": {"type": "string", "enum": list(rules.SOURCES)},
             "boundary": {"type": "object", "description": "GeoJSON Polygon, WGS84"},
             "landholder_credit_code": CREDIT_CODE,
             "area_m2": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9},
             "planned_use": {"type": "string", "enum": list(LAND_CATEGORY)},
             "note": _s(5000, 0), "county": COUNTY},
            ["name", "township", "address", "former_industry", "source"],
        ),
        "Suspect": obj(
            {"id": {"type": "integer"}, "status": {"type": "string", "enum": list(rules.STATUSES)},
             "name": {"type": "string"}, "source": {"type": "string", "enum": list(rules.SOURCES)},
             "due": {"type": ["string", "null"], "format": "date"},
             "site_code": {"type": ["string", "null"]}, "case_id": {"type": ["integer", "null"]}},
            ["id", "status", "name", "source"], extra=True,
        ),
        "KeyUnitInput": obj(
            {"credit_code": CREDIT_CODE, "year": YEAR,
             "name": {**_s(200), "description": "registers the unit when its code is unknown"},
             "industry": _s(200, 0), "township": _s(50, 0), "address": _s(300, 0),
             "county": COUNTY},
            ["credit_code", "year"],
        ),
        "KeyUnit": obj(
            {"credit_code": {"type": "string"}, "name": {"type": "string"},
             "county": {"type": "string"}, "year": {"type": "integer"},
             "status": {"type": "string", "enum": list(rules.UNIT_STATUSES)}},
            ["credit_code", "name", "county", "year", "status"], extra=True,
        ),
        "UnitFiling": obj(
            {"id": {"type": "integer"}, "kind": {"type": "string", "enum": list(rules.FILING_KINDS)},
             "exceedances": {"type": "integer"}, "data": {"type": "object"},
             "screening": {"type": ["object", "null"]}},
            ["id", "kind", "exceedances"], extra=True,
        ),
        "UnitFilingInput": {"oneOf": [
            obj({"kind": {"const": "self_monitoring"}, "year": YEAR, "monitoring_unit": _s(200),
                 "sampled_on": DATE, "conclusion": _s(5000),
                 "samples": {"type": "array", "minItems": 1, "maxItems": 2000, "items": obj(
                     {"point_id": _s(50, 0), "depth_m": {"type": "number", "minimum": 0, "maximum": 1000},
                      "medium": {"type": "string", "enum": ["soil", "groundwater"]},
                      "pollutant": _s(100), "value": {"type": "number", "minimum": 0, "maximum": 1e12},
                      "unit": _s(20)}, ["pollutant", "value", "unit"])}},
                ["kind", "year", "monitoring_unit", "sampled_on", "conclusion", "samples"]),
            obj({"kind": {"const": "demolition_plan"}, "demolition_start": DATE, "demolition_end": DATE,
                 "facilities": _s(5000), "measures": _s(10000), "waste_disposal": _s(5000),
                 "contact": _s(100, 0)},
                ["kind", "demolition_start", "demolition_end", "facilities", "measures", "waste_disposal"]),
        ]},
    }  # fmt: skip


def paths(op, ok, err, body, param, obj, page, paging, path_int) -> dict:
    suspect_id = param("suspect_id", path_int)
    code = param("credit_code", {"type": "string", "minLength": 1, "maxLength": 40})
    year = param("year", YEAR, "query", False)
    tags = ["before the survey"]
    return {
        "/suspected-sites": {
            "post": op("Record a suspected contaminated plot (bureau, DESIGN §12)",
                       {**ok("Suspect", 201), **err(400, 401, 403, 415)}, body=body("SuspectInput"),
                       tags=tags),
            "get": op("The county's suspected plots, newest first (bureau)",
                      {**ok(page("Suspect")), **err(400, 401, 403)},
                      params=[*paging,
                              param("status", {"type": "string", "enum": list(rules.STATUSES)}, "query", False),
                              param("source", {"type": "string", "enum": list(rules.SOURCES)}, "query", False),
                              param("township", {"type": "string", "maxLength": 50}, "query", False)],
                      tags=tags),
        },
        "/suspected-sites/{suspect_id}": {"get": op(
            "A suspected plot (bureau)", {**ok("Suspect"), **err(401, 403, 404)},
            params=[suspect_id], tags=tags)},
        "/suspected-sites/{suspect_id}/order-survey": {"post": op(
            "Order a survey (责令调查): creates the plot and its case in survey with a "
            "survey_order deadline (environment department)",
            {**ok("Suspect"), **err(400, 401, 403, 404, 409, 415)},
            body=body(obj({"due": DATE, "planned_use": {"type": "string", "enum": list(LAND_CATEGORY)},
                           "note": _s(5000, 0)}, ["due"])),
            params=[suspect_id], tags=tags)},
        "/suspected-sites/{suspect_id}/dismiss": {"post": op(
            "Dismiss a suspected plot with a reason (bureau)",
            {**ok("Suspect"), **err(400, 401, 403, 404, 409, 415)},
            body=body(obj({"reason": _s(5000)}, ["reason"])), params=[suspect_id], tags=tags)},
        "/key-units": {
            "post": op("List a key supervised unit for a year (bureau)",
                       {**ok("KeyUnit", 201), **err(400, 401, 403, 415)}, body=body("KeyUnitInput"),
                       tags=tags),
            "get": op("The county's key units with their filings (bureau)",
                      {**ok(page("KeyUnit")), **err(400, 401, 403)}, params=[*paging, year], tags=tags),
        },
        "/key-units/{credit_code}": {"get": op(
            "A key unit and its filings (the unit itself or its county's bureau)",
            {**ok("KeyUnit"), **err(401, 404)}, params=[code], tags=tags)},
        "/key-units/{credit_code}/filings": {"post": op(
            "File self-monitoring (screened against GB 36600 category 2) or a demolition plan "
            "(at least 15 working days before demolition starts); the unit's own users",
            {**ok("UnitFiling", 201), **err(400, 401, 403, 404, 409, 415)},
            body=body("UnitFilingInput"), params=[code], tags=tags)},
        "/key-units/{credit_code}/close": {"post": op(
            "A key unit closes or relocates: its site becomes a suspected plot (bureau)",
            {**ok("KeyUnit", 201), **err(400, 401, 403, 404, 409, 415)},
            body=body(obj({"status": {"type": "string", "enum": ["closed", "relocated"]}, "date": DATE,
                           "name": _s(200), "address": _s(300), "former_industry": _s(200),
                           "boundary": {"type": "object"}, "note": _s(5000, 0)}, ["status", "date"])),
            params=[code], tags=tags)},
        "/public/key-units": {"get": op(
            "The published list of key supervised units of a year (default: the latest)",
            {**ok(obj({"year": {"type": "integer"}, "years": {"type": "array", "items": {"type": "integer"}},
                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/KeyUnit"}},
                       "total": {"type": "integer"}, "page": {"type": "integer"}},
                      ["year", "items", "total"], extra=True)), **err(400)},
            params=[*paging, year, {"name": "county", "in": "query", "required": False,
                                    "schema": {"type": "string", "maxLength": 50},
                                    "description": "a served county's code or name"}],
            secure=False, tags=["public"])},
    }  # fmt: skip
