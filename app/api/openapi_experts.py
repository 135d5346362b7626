"""The OpenAPI description of expert review (issue 15): the pool and panel draws.
Merged into ``openapi.spec``."""

from __future__ import annotations

from workflows import experts as rules

CREDIT_CODE = {"type": "string", "minLength": 18, "maxLength": 18}
SPECIALITY = {"type": "string", "enum": list(rules.SPECIALITIES)}


def schemas(obj) -> dict:
    return {
        "ExpertInput": obj(
            {"name": {"type": "string", "minLength": 1, "maxLength": 100},
             "title": {"type": "string", "maxLength": 100},
             "specialities": {"type": "array", "items": SPECIALITY, "minItems": 1,
                              "maxItems": len(rules.SPECIALITIES)},
             "employer_credit_code": CREDIT_CODE,
             "phone": {"type": "string", "maxLength": 40}},
            ["name", "specialities"],
        ),
        "Expert": obj({"id": {"type": "integer"}, "name": {"type": "string"},
                       "specialities": {"type": "array", "items": SPECIALITY},
                       "active": {"type": "boolean"}},
                      ["id", "name", "specialities", "active"], extra=True),
        "Panel": obj({"id": {"type": "integer"}, "case_id": {"type": "integer"},
                      "stage": {"type": "string"}, "round": {"type": "integer"},
                      "seed": {"type": "string"}, "size": {"type": "integer"},
                      "members": {"type": "array", "items": {"type": "object"}},
                      "excluded": {"type": "object",
                                   "additionalProperties": {"type": "string",
                                                            "enum": list(rules.EXCLUSION_LABELS_ZH)}},
                      "ledger_seq": {"type": ["integer", "null"]}},
                     ["id", "case_id", "stage", "round", "seed", "size", "members", "excluded"],
                     extra=True),
        "Meeting": obj({"id": {"type": "integer"}, "stage": {"type": "string"},
                        "round": {"type": "integer"}, "held_on": {"type": "string", "format": "date"},
                        "conclusion": {"type": "string", "enum": list(rules.CONCLUSIONS)},
                        "opinions": {"type": "array", "items": {"type": "object"}}},
                       ["id", "stage", "round", "held_on", "conclusion", "opinions"], extra=True),
        "PanelReplay": obj({"panel": {"type": "integer"}, "seed": {"type": "string"},
                            "algorithm": {"type": "string"},
                            "candidates": {"type": "array", "items": {"type": "integer"}},
                            "members_recorded": {"type": "array", "items": {"type": "integer"}},
                            "members_replayed": {"type": "array", "items": {"type": "integer"}},
                            "matches": {"type": "boolean"}},
                           ["panel", "seed", "members_recorded", "members_replayed", "matches"],
                           extra=True),
    }  # fmt: skip


def paths(op, ok, err, body, param, obj, page, paging, path_int) -> dict:
    tags = ["expert review"]
    case_id = param("case_id", path_int)
    return {
        "/experts": {
            "post": op("Add an expert to the pool (bureau)", {**ok("Expert", 201), **err(400, 401, 403, 415)},
                       body=body("ExpertInput"), tags=tags),
            "get": op("The expert pool (bureau; personal data never public)",
                      {**ok(page("Expert")), **err(400, 401, 403)},
                      params=[*paging, param("speciality", SPECIALITY, "query", False),
                              param("active", {"type": "string", "enum": ["0", "1"]}, "query", False)],
                      tags=tags),
        },
        "/experts/{expert_id}": {"post": op(
            "Change an expert's record or take them out of the draw (bureau)",
            {**ok("Expert"), **err(400, 401, 403, 404, 415)},
            body=body(obj({"active": {"type": "boolean"}, "title": {"type": "string", "maxLength": 100},
                           "specialities": {"type": "array", "items": SPECIALITY, "minItems": 1},
                           "employer_credit_code": CREDIT_CODE,
                           "phone": {"type": "string", "maxLength": 40}})),
            params=[param("expert_id", path_int)], tags=tags)},
        "/cases/{case_id}/panels": {
            "post": op("Draw a panel for the case's review round: parties' employees and earlier "
                       "reviewers of the report excluded; seed and candidates in the ledger (bureau)",
                       {**ok("Panel", 201), **err(400, 401, 403, 404, 409, 415)},
                       body=body(obj({"size": {"type": "integer", "minimum": rules.MIN_PANEL,
                                               "maximum": rules.MAX_PANEL},
                                      "reason": {"type": "string", "maxLength": 2000}}, ["size"])),
                       params=[case_id], tags=tags),
            "get": op("The case's panels, newest first (bureau)",
                      {**ok(obj({"items": {"type": "array", "items": {"$ref": "#/components/schemas/Panel"}}},
                                ["items"])), **err(401, 403, 404)},
                      params=[case_id], tags=tags),
        },
        "/panels/{panel_id}/meeting": {"post": op(
            "Record the panel's meeting: attendance (a quorum of the panel), each attendee's "
            "opinion, the conclusion; approve then needs pass, or pass_with_revisions and a "
            "revised report, where EXPERT_REVIEW_STAGES asks for a meeting (bureau)",
            {**ok("Meeting", 201), **err(400, 401, 403, 404, 409, 415)},
            body=body(obj({"held_on": {"type": "string", "format": "date"},
                           "attendance": {"type": "array", "items": {"type": "integer", "minimum": 1},
                                          "minItems": 1, "maxItems": rules.MAX_PANEL},
                           "opinions": {"type": "array", "minItems": 1, "maxItems": rules.MAX_PANEL,
                                        "items": obj({"expert_id": {"type": "integer", "minimum": 1},
                                                      "opinion": {"type": "string", "minLength": 1,
                                                                  "maxLength": 5000}},
                                                     ["expert_id", "opinion"])},
                           "conclusion": {"type": "string", "enum": list(rules.CONCLUSIONS)},
                           "summary": {"type": "string", "minLength": 1, "maxLength": 10000}},
                          ["held_on", "attendance", "opinions", "conclusion", "summary"])),
            params=[param("panel_id", path_int)], tags=tags)},
        "/panels/{panel_id}/replay": {"get": op(
            "Repeat a draw from its ledger event: rank candidates by sha256(seed:expert_id)",
            {**ok("PanelReplay"), **err(401, 403, 404)},
            params=[param("panel_id", path_int)], tags=tags)},
    }  # fmt: skip
