"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

Written as data next to the routes; a test checks that every registered API
route is described here and every described path is registered.
"""

from __future__ import annotations

from app.api import openapi_experts, openapi_presurvey
from app.api.openapi_links import add_links, add_operation_ids
from app.models import ASSIGNMENT_ROLES, MANIFEST_STATUSES, TRANSPORT_MODES
from app.services.filings import KINDS
from app.services.sites import LAND_CATEGORY, TRIGGERS
from workflows import ACTIONS, STATES
from workflows.deadlines import KINDS as DEADLINE_KINDS
from workflows.deadlines import OWNERS as DEADLINE_OWNERS
from workflows.decisions import KINDS as DECISION_KINDS

COUNTY = {
    "type": "string",
    "maxLength": 50,
    "description": "GB/T 2260 county code or name, a county the platform serves "
    "(default: the officer's own county, or COUNTY_CODE)",
}
CREDIT_CODE = {"type": "string", "minLength": 18, "maxLength": 18,
               "description": "统一社会信用代码 (GB 32100-2015, check character verified)"}  # fmt: skip
DATE = {"type": "string", "format": "date"}
ERROR = {"$ref": "#/components/schemas/Error"}


def _err(*codes: int) -> dict:
    text = {400: "validation_error", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            409: "invalid_transition or stale_version", 413: "too_large",
            415: "unsupported_media_type", 429: "rate_limited"}  # fmt: skip
    return {
        str(c): {"description": text[c], "content": {"application/json": {"schema": ERROR}}}
        for c in codes
    }


def _ok(schema: dict | str, status: int = 200, description: str = "OK") -> dict:
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {str(status): {"description": description,
                          "content": {"application/json": {"schema": schema}}}}  # fmt: skip


def _body(schema: dict | str) -> dict:
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _obj(props: dict, required=(), extra=False) -> dict:
    out = {"type": "object", "properties": props, "additionalProperties": extra}
    if required:
        out["required"] = list(required)
    return out


def _page(item_ref: str) -> dict:
    return _obj(
        {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item_ref}"}},
         "total": {"type": "integer"}, "page": {"type": "integer"}},
        ["items", "total", "page"], extra=True,
    )  # fmt: skip


PATH_INT = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
SECURE = [{"bearer": []}]


def _param(name: str, schema: dict, where: str = "path", required: bool = True) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema}


CASE_ID = _param("case_id", PATH_INT)
MANIFEST_ID = _param("manifest_id", PATH_INT)
PARTY_REF = _param("ref", {"type": "string", "minLength": 1, "maxLength": 40})
SITE_CODE = _param("code", {"type": "string", "minLength": 1, "maxLength": 40})
# Issue 18: the public register of one served county (GB/T 2260 code, or its name);
# a county the platform does not serve is a 400.
PUBLIC_COUNTY = {**_param("county", {"type": "string", "maxLength": 50}, "query", False),
                 "description": "a served county's GB/T 2260 code, e.g. 533124"}  # fmt: skip
PAGING = [
    _param("page", {"type": "integer", "minimum": 1, "maximum": 100000}, "query", False),
    _param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "query", False),
]


def _op(summary: str, responses: dict, *, body=None, params=(), secure=True, tags=()) -> dict:
    op = {"summary": summary, "responses": responses, "tags": list(tags)}
    if body is not None:
        op["requestBody"] = body
    if params:
        op["parameters"] = list(params)
    op["security"] = SECURE if secure else []
    return op


# operationId of every operation: the names links (below) and clients refer to.
def spec() -> dict:
    schemas = {
        "Error": _obj(
            {"error": _obj(
                {"code": {"type": "string", "enum": [
                    "validation_error", "unauthorized", "forbidden", "not_found",
                    "invalid_transition", "stale_version", "too_large",
                    "unsupported_media_type", "rate_limited", "method_not_allowed",
                    "internal_error"]},
                 "message": {"type": "string"},
                 "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
                ["code", "message"])},
            ["error"],
        ),
        "Token": _obj({"token": {"type": "string"}, "expires_at": {"type": "string"}},
                      ["token", "expires_at"]),
        "Party": _obj({"id": {"type": "integer"}, "name": {"type": "string"},
                       "credit_code": {"type": "string"}, "kind": {"type": "string"},
                       "status": {"type": "string"}, "banned": {"type": "boolean"}},
                      ["name", "credit_code", "kind", "status"], extra=True),
        "SiteInput": _obj(
            {"name": {"type": "string", "minLength": 1, "maxLength": 200},
             "township": {"type": "string", "minLength": 1, "maxLength": 50},
             "address": {"type": "string", "minLength": 1, "maxLength": 300},
             "area_m2": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9},
             "planned_use": {"type": "string", "enum": list(LAND_CATEGORY)},
             "former_industry": {"type": "string", "minLength": 1, "maxLength": 200},
             "trigger": {"type": "string", "enum": list(TRIGGERS)},
             "boundary": {"type": "object", "description": "GeoJSON Polygon, WGS84"},
             "responsible_party_credit_code": CREDIT_CODE,
             "backgrounds": {"type": "object",
                             "additionalProperties": {"type": "number", "exclusiveMinimum": 0}},
             "county": COUNTY},
            ["name", "township", "address", "area_m2", "planned_use", "former_industry", "trigger"],
        ),
        "SiteCreated": _obj(
            {"code": {"type": "string"}, "land_category": {"type": "integer", "enum": [1, 2]},
             "case": _obj({"id": {"type": "integer"}, "state": {"type": "string"},
                           "version": {"type": "integer"}}, ["id", "state", "version"])},
            ["code", "land_category", "case"],
        ),
        "Site": _obj({"code": {"type": "string"}, "name": {"type": "string"},
                      "land_category": {"type": "integer"},
                      "cleared_for": {"type": ["object", "null"],
                                      "description": "land_category, planned_use, date of the last release"}},
                     ["code", "name", "land_category", "cleared_for"], extra=True),
        "CaseSummary": _obj({"id": {"type": "integer"}, "state": {"type": "string", "enum": STATES},
                             "version": {"type": "integer"}}, ["id", "state", "version"], extra=True),
        "Case": _obj(
            {"id": {"type": "integer"}, "state": {"type": "string", "enum": STATES},
             "version": {"type": "integer"}, "round": {"type": "integer"},
             "allowed_actions": {"type": "array", "items": {"type": "string", "enum": ACTIONS}},
             "filings": {"type": "array", "items": {"$ref": "#/components/schemas/Filing"}},
             "responsibility": {"type": "object"},
             "manifests": {"type": "array", "items": {"$ref": "#/components/schemas/Manifest"}},
             "decisions": {"type": "array", "items": {"$ref": "#/components/schemas/Decision"}},
             "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}}},
            ["id", "state", "version", "allowed_actions", "filings", "responsibility", "decisions",
             "deadlines"],
            extra=True,
        ),
        "ActionInput": _obj({"version": {"type": "integer"},
                             "comment": {"type": ["string", "null"], "maxLength": 5000},
                             "provincial_decision": {
                                 "description": "approve into listed or released only (DESIGN §10)",
                                 **_obj({"number": {"type": "string", "minLength": 1, "maxLength": 100},
                                         "date": DATE}, ["number", "date"])}},
                            ["version"]),
        "Decision": _obj({"number": {"type": "string"},
                          "kind": {"type": "string", "enum": list(DECISION_KINDS)},
                          "date": DATE, "to_state": {"type": "string", "enum": STATES},
                          "provincial_decision": {"type": ["object", "null"]}},
                         ["number", "kind", "date", "to_state"], extra=True),
        "Deadline": _obj({"kind": {"type": "string", "enum": list(DEADLINE_KINDS)}, "due": DATE,
                          "owner": {"type": "string", "enum": list(DEADLINE_OWNERS)},
                          "overdue": {"type": "boolean"}, "basis": {"type": "string"},
                          "days_left": {"type": "integer"}},
                         ["kind", "due", "owner", "overdue", "basis"], extra=True),
        "AgendaItem": _obj({"case_id": {"type": "integer"}, "site_code": {"type": "string"},
                            "kind": {"type": "string", "enum": list(DEADLINE_KINDS)}, "due": DATE,
                            "owner": {"type": "string", "enum": list(DEADLINE_OWNERS)},
                            "overdue": {"type": "boolean"}},
                           ["case_id", "site_code", "kind", "due", "owner", "overdue"], extra=True),
        "Notification": _obj({"id": {"type": "integer"}, "kind": {"type": "string"},
                              "case_id": {"type": ["integer", "null"]}, "text": {"type": "string"},
                              "at": {"type": "string"}, "read": {"type": "boolean"}},
                             ["id", "kind", "case_id", "text", "at", "read"], extra=True),
        "UseChangeInput": _obj({"planned_use": {"type": "string", "enum": list(LAND_CATEGORY)},
                                "basis": {"type": "string", "minLength": 1, "maxLength": 2000}},
                               ["planned_use", "basis"]),
        "FilingInput": _obj({"kind": {"type": "string", "enum": list(KINDS)},
                             "data": {"type": "object",
                                      "description": "fields per kind, DESIGN.md §3; issue 15 adds "
                                      "risk_control_plan {measures, control_area (GeoJSON Polygon), "
                                      "signs, announcement, monitoring_plan {media, frequency_days, "
                                      "points [{point_id, medium}], limits [{medium, pollutant, "
                                      "limit, unit}]}}, emergency_measures {measures, isolation, "
                                      "completed_on?} and monitoring_report.values [{point_id, "
                                      "medium, pollutant, value, unit}]"}},
                            ["kind", "data"]),
        "Filing": _obj({"id": {"type": "integer"}, "kind": {"type": "string", "enum": list(KINDS)},
                        "round": {"type": "integer"}, "data": {"type": "object"},
                        "documents": {"type": "array", "items": {"type": "object"}}},
                       ["id", "kind", "round", "data", "documents"], extra=True),
        "AssignmentInput": _obj({"role": {"type": "string", "enum": list(ASSIGNMENT_ROLES)},
                                 "credit_code": CREDIT_CODE}, ["role", "credit_code"]),
        "Assignment": _obj({"id": {"type": "integer"}, "role": {"type": "string"},
                            "party": {"$ref": "#/components/schemas/Party"}},
                           ["id", "role", "party"], extra=True),
        "ManifestInput": _obj(
            {"quantity_t": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e7},
             "mode": {"type": "string", "enum": list(TRANSPORT_MODES)},
             "route": {"type": "string", "minLength": 1}, "origin_address": {"type": "string", "minLength": 1},
             "destination_facility_credit_code": CREDIT_CODE,
             "destination_county": {"type": "string", "minLength": 1},
             "planned_start": DATE, "planned_end": DATE,
             "final_disposal": {"type": "string", "minLength": 1}},
            ["quantity_t", "mode", "route", "origin_address", "destination_facility_credit_code",
             "destination_county", "planned_start", "planned_end", "final_disposal"],
        ),
        "Manifest": _obj(
            {"id": {"type": "integer"}, "number": {"type": "string"},
             "status": {"type": "string", "enum": list(MANIFEST_STATUSES)},
             "quantity_t": {"type": "number"}, "dispatched_t": {"type": ["number", "null"]},
             "received_t": {"type": ["number", "null"]},
             "origin_county_code": {"type": "string"},
             "destination_county_code": {"type": ["string", "null"],
                                         "description": "GB/T 2260 code; null: a place the register does not know"},
             "outside_platform": {"type": "boolean"},
             "acknowledged_at": {"type": ["string", "null"]}},
            ["id", "number", "status", "quantity_t", "dispatched_t", "received_t"], extra=True,
        ),
        "Quantity": _obj({"quantity_t": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e7}},
                         ["quantity_t"]),
        "Comment": _obj({"comment": {"type": "string", "minLength": 1, "maxLength": 5000}}, ["comment"]),
        "ScreeningInput": _obj(
            {"land_category": {"type": "integer", "enum": [1, 2]},
             "samples": {"type": "array", "minItems": 1, "items": _obj(
                 {"pollutant": {"type": "string"}, "value": {"type": "number"},
                  "unit": {"type": "string"}}, ["pollutant", "value", "unit"], extra=True)},
             "backgrounds": {"type": "object"}},
            ["land_category", "samples"],
        ),
        "Screening": _obj(
            {"results": {"type": "array", "items": _obj(
                {"pollutant": {"type": "string"}, "cas": {"type": ["string", "null"]},
                 "value_mg_kg": {"type": "number"},
                 "screening_value": {"type": ["number", "null"]},
                 "intervention_value": {"type": ["number", "null"]},
                 "level": {"type": "string", "enum": ["below_screening", "above_screening",
                                                      "above_intervention", "no_standard"]}},
                ["pollutant", "cas", "value_mg_kg", "screening_value", "intervention_value", "level"],
                extra=True)},
             "max_level": {"type": "string"}},
            ["results", "max_level"],
        ),
        "LedgerEvent": _obj(
            {"seq": {"type": "integer"}, "at": {"type": "string"},
             "actor": {"type": ["string", "null"]}, "party": {"type": ["string", "null"]},
             "action": {"type": "string"}, "from_state": {"type": ["string", "null"]},
             "to_state": {"type": ["string", "null"]},
             "documents": {"type": "array", "items": {"type": "string"}},
             "prev_hash": {"type": "string"}, "hash": {"type": "string"}},
            ["seq", "at", "actor", "party", "action", "from_state", "to_state", "documents",
             "prev_hash", "hash"], extra=True,
        ),
        "Determination": _obj(
            {"id": {"type": "integer"}, "case_id": {"type": "integer"},
             "status": {"type": "string"}, "party": {"$ref": "#/components/schemas/Party"}},
            ["id", "case_id", "status", "party"], extra=True,
        ),
        "LedgerVerify": _obj({"ok": {"type": "boolean"}, "events": {"type": "integer"},
                              "head": {"type": "string"},
                              "first_bad_seq": {"type": ["integer", "null"]}},
                             ["ok", "events", "head", "first_bad_seq"], extra=True),
        "PublicSite": _obj({"code": {"type": "string"}, "name": {"type": "string"},
                            "township": {"type": "string"}, "state": {"type": "string"},
                            "land_category": {"type": "integer"},
                            "pollutants": {"type": "array"}},
                           ["code", "name", "township", "state", "land_category", "pollutants"],
                           extra=True),
        "Any": {"type": "object"},
    }  # fmt: skip

    paths: dict[str, dict] = {
        "/tokens": {"post": _op("Log in: a bearer token", {**_ok("Token", 201), **_err(400, 401, 415, 429)},
                                body=_body(_obj({"username": {"type": "string"},
                                                 "password": {"type": "string"}},
                                                ["username", "password"])), secure=False, tags=["auth"])},
        "/me": {"get": _op("The caller", {**_ok("Any"), **_err(401)}, tags=["auth"])},
        "/tokens/current": {"delete": _op(
            "Revoke the bearer token of this request",
            {"204": {"description": "revoked"}, **_err(401)}, tags=["auth"])},
        "/me/password": {"post": _op(
            "Change the caller's password; every API token of the caller is revoked",
            {**_ok("Any"), **_err(400, 401, 415)},
            body=_body(_obj({"current_password": {"type": "string"},
                             "new_password": {"type": "string", "minLength": 8, "maxLength": 200}},
                            ["current_password", "new_password"])), tags=["auth"])},
        "/screening": {"post": _op("Screen samples against GB 36600-2018",
                                   {**_ok("Screening"), **_err(400, 401, 415)},
                                   body=_body("ScreeningInput"), tags=["screening"])},
        "/sites": {"post": _op("Register a plot (landholder)", {**_ok("SiteCreated", 201), **_err(400, 401, 403, 415)},
                               body=_body("SiteInput"), tags=["sites"])},
        "/sites/{code}": {"get": _op("A plot and the caller's cases on it", {**_ok("Site"), **_err(401, 404)},
                                     params=[SITE_CODE], tags=["sites"])},
        "/sites/{code}/transfer": {"post": _op(
            "Record a land-use-right transfer", {**_ok("Any", 201), **_err(400, 401, 403, 404, 415)},
            body=_body(_obj({"transferee_credit_code": CREDIT_CODE, "contract_date": DATE,
                             "transferee_responsible": {"type": "boolean"},
                             "note": {"type": "string"}}, ["transferee_credit_code", "contract_date"])),
            params=[SITE_CODE], tags=["responsibility"])},
        "/sites/{code}/use-change": {"post": _op(
            "Record a change of planned use (bureau); re-screens, may reopen (DESIGN §10)",
            {**_ok("Site"), **_err(400, 401, 403, 404, 415)}, body=_body("UseChangeInput"),
            params=[SITE_CODE], tags=["sites"])},
        "/cases": {"get": _op("Cases the caller may see", {**_ok(_page("CaseSummary")), **_err(400, 401)},
                              params=[*PAGING, _param("state", {"type": "string"}, "query", False)],
                              tags=["cases"])},
        "/cases/{case_id}": {"get": _op("A case, with allowed_actions for the caller",
                                        {**_ok("Case"), **_err(401, 404)}, params=[CASE_ID], tags=["cases"])},
        "/cases/{case_id}/actions/{action}": {"post": _op(
            "Take a lifecycle action", {**_ok("Case"), **_err(400, 401, 403, 404, 409, 415)},
            body=_body("ActionInput"),
            params=[CASE_ID, _param("action", {"type": "string", "enum": ACTIONS})], tags=["cases"])},
        "/cases/{case_id}/filings": {
            "post": _op("File a report (JSON, or multipart with files and a samples CSV)",
                        {**_ok("Filing", 201), **_err(400, 401, 403, 404, 409, 413, 415)},
                        body={"required": True, "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/FilingInput"}},
                            "multipart/form-data": {"schema": _obj(
                                {"kind": {"type": "string", "enum": list(KINDS)},
                                 "data": {"type": "string", "description": "JSON text"},
                                 "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                                 "samples": {"type": "string", "format": "binary"}}, ["kind", "data"])}}},
                        params=[CASE_ID], tags=["filings"]),
            "get": _op("The case's filings", {**_ok(_obj({"items": {"type": "array"}}, ["items"])), **_err(401, 404)},
                       params=[CASE_ID], tags=["filings"]),
        },
        "/cases/{case_id}/ledger": {"get": _op(
            "The case's ledger events",
            {**_ok(_obj({"events": {"type": "array", "items": {"$ref": "#/components/schemas/LedgerEvent"}}},
                        ["events"])), **_err(401, 404)}, params=[CASE_ID], tags=["ledger"])},
        "/cases/{case_id}/assignments": {"post": _op(
            "Engage a contractor, evaluator or surveyor", {**_ok("Assignment", 201), **_err(400, 401, 403, 404, 409, 415)},
            body=_body("AssignmentInput"), params=[CASE_ID], tags=["cases"])},
        "/cases/{case_id}/manifests": {
            "post": _op("Report a soil transfer", {**_ok("Manifest", 201), **_err(400, 401, 403, 404, 409, 415)},
                        body=_body("ManifestInput"), params=[CASE_ID], tags=["manifests"]),
            "get": _op("The case's manifests", {**_ok(_obj({"items": {"type": "array"}}, ["items"])), **_err(401, 404)},
                       params=[CASE_ID], tags=["manifests"]),
        },
        "/cases/{case_id}/determinations": {"post": _op(
            "Propose who is responsible (认定)", {**_ok("Determination", 201), **_err(400, 401, 403, 404, 409, 415)},
            body=_body(_obj({"credit_code": CREDIT_CODE, "basis": {"type": "string"},
                             "reason": {"type": "string"}}, ["credit_code", "basis", "reason"])),
            params=[CASE_ID], tags=["responsibility"])},
        "/cases/{case_id}/accountability": {"get": _op(
            "Who filed, reviewed, co-signed and approved each stage", {**_ok("Any"), **_err(401, 403, 404)},
            params=[CASE_ID], tags=["ledger"])},
        "/determinations/{determination_id}/sign": {"post": _op(
            "Natural resources signs a determination", {**_ok("Determination"), **_err(401, 403, 404, 409)},
            params=[_param("determination_id", PATH_INT)], tags=["responsibility"])},
        "/manifests": {"get": _op("Manifests the caller may see", {**_ok(_page("Manifest")), **_err(400, 401)},
                                  params=[*PAGING, _param("status", {"type": "string", "enum": list(MANIFEST_STATUSES)},
                                                          "query", False)],
                                  tags=["manifests"])},
        "/manifests/{manifest_id}": {"get": _op("A manifest", {**_ok("Manifest"), **_err(401, 404)},
                                                params=[MANIFEST_ID], tags=["manifests"])},
        "/manifests/{manifest_id}/{step}": {"post": _op(
            "dispatch / receive ({quantity_t}), resolve ({comment}) or acknowledge ({comment?}: "
            "the destination county's bureau confirms it was told of a cross-county transfer)",
            {**_ok("Manifest"), **_err(400, 401, 403, 404, 409, 415)},
            body=_body({"anyOf": [{"$ref": "#/components/schemas/Quantity"},
                                  {"$ref": "#/components/schemas/Comment"}]}),
            params=[MANIFEST_ID, _param("step", {"type": "string",
                                                 "enum": ["dispatch", "receive", "resolve", "acknowledge"]})],
            tags=["manifests"])},
        "/documents/{document_id}": {"get": {
            "summary": "Download a stored document (attachment)", "tags": ["documents"], "security": SECURE,
            "parameters": [_param("document_id", PATH_INT)],
            "responses": {"200": {"description": "the stored bytes",
                                  "content": {"application/pdf": {}, "text/csv": {}}},
                          "302": {"description": "with STORAGE_REDIRECT_SECONDS: a signed URL of the "
                                                 "object store, valid that many seconds (Location)"},
                          "304": {"description": "If-None-Match matched the document's SHA-256"},
                          **_err(401, 404)}}},
        "/parties": {"post": _op("Register a party (bureau)", {**_ok("Party", 201), **_err(400, 401, 403, 415)},
                                 body=_body(_obj({"name": {"type": "string"}, "credit_code": CREDIT_CODE,
                                                  "kind": {"type": "string"}}, ["name", "credit_code"])),
                                 tags=["parties"])},
        "/parties/{ref}": {"get": _op("A party by id or credit code", {**_ok("Party"), **_err(401, 404)},
                                      params=[PARTY_REF], tags=["parties"])},
        "/parties/{ref}/succession": {"post": _op(
            "Dissolution with a successor: open cases move to it", {**_ok("Any"), **_err(400, 401, 403, 404, 415)},
            body=_body(_obj({"successor_credit_code": CREDIT_CODE, "note": {"type": "string"}},
                            ["successor_credit_code"])), params=[PARTY_REF], tags=["responsibility"])},
        "/parties/{ref}/dissolution": {"post": _op(
            "Dissolution without a successor: open cases fall to the county government",
            {**_ok("Any"), **_err(400, 401, 403, 404, 415)},
            body=_body(_obj({"government_credit_code": CREDIT_CODE, "reason": {"type": "string"}},
                            ["government_credit_code", "reason"])), params=[PARTY_REF], tags=["responsibility"])},
        "/parties/{ref}/ban": {"post": _op(
            "Ban a unit", {**_ok("Party"), **_err(400, 401, 403, 404, 415)},
            body=_body(_obj({"until": {"type": "string", "description": "YYYY-MM-DD or lifelong"},
                             "reason": {"type": "string"}}, ["until", "reason"])),
            params=[PARTY_REF], tags=["parties"])},
        "/parties/{ref}/ban/lift": {"post": _op(
            "Lift a ban", {**_ok("Party"), **_err(400, 401, 403, 404, 409, 415)},
            body=_body(_obj({"reason": {"type": "string"}}, ["reason"])),
            params=[PARTY_REF], tags=["parties"])},
        "/parties/{ref}/credit": {"get": _op("A unit's credit record", {**_ok("Any"), **_err(401, 404)},
                                             params=[PARTY_REF], tags=["parties"])},
        "/public/parties/{code}/credit": {"get": _op("A unit's public credit record", {**_ok("Any"), **_err(404)},
                                                     params=[SITE_CODE], secure=False, tags=["public"])},
        "/deadlines": {"get": _op(
            "The county's open statutory deadlines, soonest first (bureau, DESIGN §11)",
            {**_ok(_obj({"items": {"type": "array", "items": {"$ref": "#/components/schemas/AgendaItem"}},
                         "total": {"type": "integer"}, "page": {"type": "integer"}},
                        ["items", "total", "page"])), **_err(400, 401, 403)},
            params=[_param("owner", {"type": "string", "enum": list(DEADLINE_OWNERS)}, "query", False),
                    _param("kind", {"type": "string", "enum": list(DEADLINE_KINDS)}, "query", False),
                    _param("overdue", {"type": "string", "enum": ["0", "1", "true", "false"]}, "query", False),
                    _param("page", {"type": "integer", "minimum": 1, "maximum": 100000}, "query", False),
                    _param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "query", False)],
            tags=["deadlines"])},
        "/notifications": {"get": _op(
            "The caller's reminders and notices, newest first",
            {**_ok(_obj({"items": {"type": "array", "items": {"$ref": "#/components/schemas/Notification"}},
                         "unread": {"type": "integer"}}, ["items", "unread"], extra=True)), **_err(400, 401)},
            params=[*PAGING, _param("unread", {"type": "string", "enum": ["0", "1"]}, "query", False)],
            tags=["notifications"])},
        "/notifications/{notification_id}/read": {"post": _op(
            "Mark one of the caller's notifications read", {**_ok("Notification"), **_err(401, 404)},
            params=[_param("notification_id", {"type": "integer", "minimum": 1})], tags=["notifications"])},
        "/ledger/verify": {"get": _op("Verify the whole chain (bureau)", {**_ok("LedgerVerify"), **_err(401, 403)},
                                      tags=["ledger"])},
        "/public/ledger/heads": {"get": _op("Published daily chain heads", {**_ok("Any"), **_err(400)},
                                            params=PAGING, secure=False, tags=["public"])},
        "/public/ledger/head": {"get": _op("The current chain head, signed", _ok("Any"), secure=False,
                                           tags=["public"])},
        "/public/sites": {"get": _op("The public register", {**_ok(_page("PublicSite")), **_err(400)},
                                     params=[*PAGING, _param("state", {"type": "string"}, "query", False),
                                             _param("township", {"type": "string"}, "query", False),
                                             _param("q", {"type": "string"}, "query", False),
                                             PUBLIC_COUNTY],
                                     secure=False, tags=["public"])},
        "/public/sites/{code}": {"get": _op("A public plot", {**_ok("PublicSite"), **_err(404)},
                                            params=[SITE_CODE], secure=False, tags=["public"])},
        "/public/sites.geojson": {"get": {
            "summary": "Public plots as GeoJSON", "tags": ["public"], "security": [],
            "parameters": [PUBLIC_COUNTY],
            "responses": {"200": {"description": "a FeatureCollection",
                                  "content": {"application/geo+json": {"schema": {"type": "object"}}}},
                          **_err(400)}}},
        "/public/farmland": {"get": _op(
            "The safe-use rate of contaminated cultivated land by county and township for a year, "
            "with the area of each class (GB 15618-2018): aggregates only, no parcel (issue 21)",
            {**_ok("Any"), **_err(400)},
            params=[_param("year", {"type": "integer", "minimum": 2000}, "query", False), PUBLIC_COUNTY],
            secure=False, tags=["public"])},
        "/tipoffs": {"get": _op("Tip-offs (bureau)", {**_ok("Any"), **_err(400, 401, 403)},
                                tags=["tipoffs"]),
                     "post": _op("Record a tip-off taken by the 12369 hotline, a letter or a visit "
                                 "(bureau; DESIGN §11)", {**_ok("Any", 201), **_err(400, 401, 403, 415)},
                                 body=_body(_obj({"channel": {"type": "string", "enum": ["hotline", "letter", "visit"]},
                                                  "received_on": DATE,
                                                  "township": {"type": "string", "minLength": 1, "maxLength": 50},
                                                  "location": {"type": "string", "minLength": 1, "maxLength": 300},
                                                  "description": {"type": "string", "minLength": 10, "maxLength": 5000}},
                                                 ["channel", "township", "location", "description"])),
                                 tags=["tipoffs"])},
        "/tipoffs/{tipoff_id}/hand-over": {"post": _op(
            "Hand a tip-off over to the competent agency (转办, bureau)",
            {**_ok("Any"), **_err(400, 401, 403, 404, 415)},
            body=_body(_obj({"agency": {"type": "string", "minLength": 1, "maxLength": 200}, "date": DATE,
                             "note": {"type": "string", "maxLength": 5000}}, ["agency"])),
            params=[_param("tipoff_id", PATH_INT)], tags=["tipoffs"])},
        "/tipoffs/{tipoff_id}": {
            "get": _op("A tip-off (bureau)", {**_ok("Any"), **_err(401, 403, 404)},
                       params=[_param("tipoff_id", PATH_INT)], tags=["tipoffs"]),
            "post": _op("Handle a tip-off: status, note, linked plot (bureau)",
                        {**_ok("Any"), **_err(400, 401, 403, 404, 415)},
                        body=_body({"type": "object"}), params=[_param("tipoff_id", PATH_INT)],
                        tags=["tipoffs"]),
        },
        "/tipoffs/{tipoff_id}/photos/{sha256}": {"get": {
            "summary": "A tip-off photo (bureau)", "tags": ["tipoffs"], "security": SECURE,
            "parameters": [_param("tipoff_id", PATH_INT),
                           _param("sha256", {"type": "string", "pattern": "^[0-9a-f]{64}$"})],
            "responses": {"200": {"description": "the re-encoded JPEG", "content": {"image/jpeg": {}}},
                          **_err(401, 403, 404)}}},
        "/openapi.json": {"get": _op("This document", _ok("Any"), secure=False, tags=["meta"])},
    }  # fmt: skip
    for part in (openapi_presurvey, openapi_experts):  # §12; expert review (issue 15)
        schemas.update(part.schemas(_obj))
        paths.update(part.paths(_op, _ok, _err, _body, _param, _obj, _page, PAGING, PATH_INT))
    add_operation_ids(paths)
    add_links(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "建设用地土壤污染风险管控和修复监管系统 API",
            "version": "1.0.0",
            "description": "Contract: DESIGN.md §2–§8. Errors are "
            '{"error": {"code", "message", "fields"?}}.',
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": paths,
    }
