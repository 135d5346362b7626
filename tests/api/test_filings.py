"""Filings (DESIGN.md §3): states, per-field validation, contradictions, credit
codes, PDF and CSV uploads, idempotent replays, downloads and who may file."""

import hashlib
import io
import json

import pytest
from pypdf import PdfWriter

from app.models import Party
from app.services.credit_codes import ALPHABET
from tests.support import new_credit_code

KIND_STATE = {
    "survey_report": "survey",
    "risk_assessment_report": "risk_assessment",
    "remediation_plan": "plan_filing",
    "monitoring_report": "risk_control",
    "works_notice": "works",
    "progress_report": "works",
    "evaluation_report": "evaluation",
}
KINDS = list(KIND_STATE)
# A user allowed to file each kind, once the case is in its state.
FILER = {
    "survey_report": "landholder",
    "risk_assessment_report": "landholder",
    "remediation_plan": "landholder",
    "monitoring_report": "landholder",
    "works_notice": "contractor",
    "progress_report": "contractor",
    "evaluation_report": "evaluator",
}
REQUIRED = {
    "survey_report": {"unit_credit_code", "project_lead", "conclusion"},
    "risk_assessment_report": {
        "unit_credit_code",
        "project_lead",
        "carcinogenic_risk_max",
        "hazard_quotient_max",
        "risk_acceptable",
    },
    "remediation_plan": {
        "contractor_credit_code",
        "project_lead",
        "technology",
        "offsite_transfer",
        "volume_m3",
        "start_date",
        "end_date",
        "groundwater_measures",
    },
    "monitoring_report": {"unit_credit_code", "media", "summary"},
    "works_notice": {
        "project_overview",
        "environmental_impacts",
        "protective_measures",
        "contact",
        "start_date",
        "end_date",
    },
    "progress_report": {"summary", "percent_complete"},
    "evaluation_report": {"evaluator_credit_code", "project_lead", "passed", "results"},
}
# Values of the wrong type or out of range, per kind: (field, value).
BAD = {
    "survey_report": [
        ("unit_credit_code", 12345),
        ("project_lead", ["李调查"]),
        ("samples", "铅 650 mg/kg"),
        ("samples", []),
        ("samples", [{"pollutant": "铅", "value": "650", "unit": "mg/kg"}]),
        ("samples", [{"pollutant": "铅", "value": 10**30, "unit": "mg/kg"}]),
        ("samples", [{"pollutant": "铅", "value": -1, "unit": "mg/kg"}]),
        ("samples", [{"pollutant": "铅", "value": True, "unit": "mg/kg"}]),
        ("samples", [{"pollutant": "铅", "value": 650, "unit": "ppm"}]),
        ("samples", [{"pollutant": "铅", "value": 650, "unit": "mg/kg", "lab": "x"}]),
    ],
    "risk_assessment_report": [
        ("carcinogenic_risk_max", "0.00003"),
        ("carcinogenic_risk_max", -1e-6),
        ("hazard_quotient_max", 10**30),
        ("hazard_quotient_max", [2.4]),
        ("risk_acceptable", "yes"),
        ("risk_acceptable", 0),
        ("targets", {"铅": 400}),
        ("targets", [{"pollutant": "铅", "target_mg_kg": "400"}]),
        ("targets", [{"pollutant": "铅", "target_mg_kg": 400, "note": "x"}]),
    ],
    "remediation_plan": [
        ("offsite_transfer", "yes"),
        ("offsite_transfer", 1),
        ("volume_m3", "3200"),
        ("volume_m3", 10**30),
        ("volume_m3", 0),
        ("start_date", "next monday"),
        ("start_date", "2027-02-30"),
        ("start_date", 20270110),
        ("technology", 42),
        ("end_date", "2026-01-01"),  # before start_date
    ],
    "monitoring_report": [
        ("media", "soil"),
        ("media", []),
        ("media", ["soil", "lava"]),
        ("unit_credit_code", "not-a-code"),
        ("summary", {"text": "x"}),
    ],
    "works_notice": [
        ("contact", 12345),
        ("start_date", "2027/01/10"),
        ("end_date", "2026-12-31"),  # before start_date
    ],
    "progress_report": [
        ("percent_complete", "50"),
        ("percent_complete", 101),
        ("percent_complete", -1),
        ("percent_complete", True),
        ("percent_complete", 10**30),
    ],
    "evaluation_report": [
        ("passed", "yes"),
        ("results", []),
        ("results", {"铅": 320}),
        ("results", [{"pollutant": "铅", "value_mg_kg": "320", "target_mg_kg": 400}]),
        ("results", [{"pollutant": "铅", "value_mg_kg": 320}]),
        ("results", [{"pollutant": "独角兽素", "value_mg_kg": 320, "target_mg_kg": 400}]),
    ],
}


def valid_data(world, kind) -> dict:
    return {
        "survey_report": world.survey_data,
        "risk_assessment_report": world.risk_data,
        "remediation_plan": world.plan_data,
        "monitoring_report": lambda: {
            "unit_credit_code": world.surveyor.party.credit_code,
            "media": ["soil", "groundwater"],
            "summary": "管控区内地下水铅浓度稳定",
        },
        "works_notice": world.notice_data,
        "progress_report": lambda: {"summary": "已完成 40% 土方开挖", "percent_complete": 40},
        "evaluation_report": world.evaluation_data,
    }[kind]()


def assign(world, cid, role, who):
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": role, "credit_code": world.actors[who].party.credit_code},
    )
    assert r.status_code == 201, r.get_json()


def case_for(world, kind) -> int:
    """A new case in the state where ``kind`` may be filed, its filer able to."""
    cid = world.to_state(KIND_STATE[kind])
    if kind == "evaluation_report":
        assign(world, cid, "evaluator", "evaluator")
    return cid


def post_filing(world, who, cid, kind, data, **kw):
    return world.post(who, f"/cases/{cid}/filings", {"kind": kind, "data": data}, **kw)


def post_raw(world, who, cid, text: str):
    return world.client.post(
        f"/api/v1/cases/{cid}/filings",
        data=text,
        content_type="application/json",
        headers=world.actors[who].headers,
    )


def error(r) -> dict:
    body = r.get_json()
    assert body and "error" in body, (r.status_code, r.data[:300])
    return body["error"]


def names_field(fields: dict, field: str) -> bool:
    return any(k == field or k.startswith((f"{field}[", f"{field}.")) for k in fields)


def events(world, cid, action=None) -> list[dict]:
    r = world.get("env", f"/cases/{cid}/ledger")
    assert r.status_code == 200
    return [e for e in r.get_json()["events"] if action is None or e["action"] == action]


def filings(world, cid) -> list[dict]:
    r = world.get("env", f"/cases/{cid}/filings")
    assert r.status_code == 200
    return r.get_json()["items"]


def pdf_bytes(size: int = 200) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(size, size)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


SAMPLES_CSV = (
    "点位编号,深度,污染物,检测值,单位\n"
    "S1,0.5,铅,650,mg/kg\n"
    "S1,0.5,镉,2.1,mg/kg\n"
    "S2,1.0,苯并[a]芘,800,μg/kg\n"
).encode("gb18030")


def multipart(world, who, cid, *, kind="survey_report", data=None, files=(), samples=None, **kw):
    form = {"kind": kind, "data": json.dumps(data if data is not None else {}, ensure_ascii=False)}
    if files:
        form["files"] = [(io.BytesIO(content), name) for name, content in files]
    if samples is not None:
        form["samples"] = (io.BytesIO(samples), "样品.csv")
    return world.client.post(
        f"/api/v1/cases/{cid}/filings",
        data=form,
        content_type="multipart/form-data",
        headers={**world.actors[who].headers, **kw.pop("headers", {})},
        **kw,
    )


def survey_without_samples(world) -> dict:
    data = world.survey_data()
    del data["samples"]
    return data


# ---------------------------------------------------------------- states


def _walk(world):
    """One case along the remediation route, yielding at every state."""
    reg = world.register()
    cid = reg["case"]["id"]
    assign(world, cid, "evaluator", "evaluator")
    steps = [
        ("survey", lambda: None),
        (
            "survey_review",
            lambda: (
                world.file("landholder", cid, "survey_report", world.survey_data()),
                world.act("landholder", cid, "submit"),
            ),
        ),
        (
            "risk_assessment",
            lambda: (world.act("nr", cid, "cosign"), world.act("env", cid, "approve")),
        ),
        (
            "risk_assessment_review",
            lambda: (
                world.file("landholder", cid, "risk_assessment_report", world.risk_data()),
                world.act("landholder", cid, "submit"),
            ),
        ),
        ("listed", lambda: (world.act("nr", cid, "cosign"), world.act("env", cid, "approve"))),
        ("plan_filing", lambda: world.act("env", cid, "require_remediation")),
        (
            "plan_review",
            lambda: (
                world.file("landholder", cid, "remediation_plan", world.plan_data()),
                world.act("landholder", cid, "submit"),
            ),
        ),
        ("transfer_reporting", lambda: world.act("env", cid, "approve")),
        (
            "works",
            lambda: (
                world.post("contractor", f"/cases/{cid}/manifests", world.manifest_data()),
                world.act("contractor", cid, "submit"),
            ),
        ),
        ("evaluation", lambda: world._finish_works(cid)),
        (
            "evaluation_review",
            lambda: (
                world.file("evaluator", cid, "evaluation_report", world.evaluation_data()),
                world.act("evaluator", cid, "submit"),
            ),
        ),
        ("released", lambda: (world.act("nr", cid, "cosign"), world.act("env", cid, "approve"))),
    ]
    for state, step in steps:
        step()
        assert world.case(cid, "env")["state"] == state
        yield cid, state
    risk_control = world.to_state("risk_control")
    assign(world, risk_control, "evaluator", "evaluator")
    yield risk_control, "risk_control"


def test_each_kind_may_be_filed_only_in_its_states(world):
    # The landholder is also the responsible party, so it may file every kind
    # except the evaluation report; the assigned evaluator files that one.
    seen = set()
    for cid, state in _walk(world):
        seen.add(state)
        for kind in KINDS:
            who = "evaluator" if kind == "evaluation_report" else "landholder"
            r = post_filing(world, who, cid, kind, {})
            if state == KIND_STATE[kind]:
                # The right state: only the empty data is wrong.
                assert r.status_code == 400, (state, kind, r.get_json())
                assert error(r)["code"] == "validation_error"
            else:
                assert r.status_code == 409, (state, kind, r.get_json())
                assert error(r)["code"] == "invalid_transition"
    assert len(seen) == 13


# ---------------------------------------------------------------- fields


@pytest.mark.parametrize("kind", KINDS)
def test_fields_of_each_kind_are_checked(world, kind):
    cid = case_for(world, kind)
    who = FILER[kind]
    before = len(filings(world, cid))

    r = post_filing(world, who, cid, kind, {})
    assert r.status_code == 400
    err = error(r)
    assert err["code"] == "validation_error"
    assert REQUIRED[kind] <= set(err["fields"]), err["fields"]

    # Each missing field is named, also when the others are fine.
    good = valid_data(world, kind)
    for field in sorted(REQUIRED[kind]):
        partial = {k: v for k, v in good.items() if k != field}
        r = post_filing(world, who, cid, kind, partial)
        assert r.status_code == 400, field
        assert field in error(r)["fields"], (field, error(r))

    r = post_filing(world, who, cid, kind, {**good, "colour": "red"})
    assert r.status_code == 400
    assert "colour" in error(r)["fields"]

    for field, value in BAD[kind]:
        r = post_filing(world, who, cid, kind, {**good, field: value})
        assert r.status_code == 400, (field, value, r.get_json())
        err = error(r)
        assert err["code"] == "validation_error"
        assert names_field(err.get("fields") or {}, field), (field, value, err)

    r = post_filing(world, who, cid, kind, {"kind": kind, "data": good})
    assert r.status_code == 400  # the envelope nested as data is not a filing
    assert len(filings(world, cid)) == before
    n_events = len(events(world, cid, kind))

    # The same data, now correct, is accepted and recorded once in the ledger.
    r = post_filing(world, who, cid, kind, good)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["kind"] == kind
    assert len(filings(world, cid)) == before + 1
    assert len(events(world, cid, kind)) == n_events + 1


def test_survey_report_missing_everything_names_samples_too(world):
    # DESIGN §3: samples are required for a survey report, and missing required
    # fields are reported per field: one answer should list all four.
    cid = world.register()["case"]["id"]
    r = post_filing(world, "landholder", cid, "survey_report", {})
    assert r.status_code == 400
    assert {"unit_credit_code", "project_lead", "conclusion", "samples"} <= set(
        error(r)["fields"]
    ), error(r)["fields"]


def test_unknown_kind_and_envelope_fields_are_400(world):
    cid = world.register()["case"]["id"]
    r = post_filing(world, "landholder", cid, "soil_report", world.survey_data())
    assert r.status_code == 400 and "kind" in error(r)["fields"]
    r = world.post(
        "landholder",
        f"/cases/{cid}/filings",
        {"kind": "survey_report", "data": world.survey_data(), "extra": 1},
    )
    assert r.status_code == 400 and "extra" in error(r)["fields"]
    r = post_filing(world, "landholder", cid, "survey_report", ["not", "an", "object"])
    assert r.status_code == 400
    assert filings(world, cid) == []


def _with(template: dict, field: str, raw: str) -> str:
    """JSON text of ``template`` with ``field`` replaced by raw JSON text."""
    marker = "\u0000MARK\u0000"
    text = json.dumps({**template, field: marker}, ensure_ascii=False)
    return text.replace(json.dumps(marker), raw)


def test_non_finite_and_huge_numbers_are_400_never_500(world):
    cid = world.to_state("risk_assessment")
    good = world.risk_data()
    for field, raw in [
        ("carcinogenic_risk_max", "1e400"),
        ("carcinogenic_risk_max", "NaN"),
        ("hazard_quotient_max", "Infinity"),
        ("hazard_quotient_max", "-Infinity"),
        ("hazard_quotient_max", "1" + "0" * 400),
    ]:
        body = json.dumps({"kind": "risk_assessment_report", "data": "DATA"})
        body = body.replace('"DATA"', _with(good, field, raw))
        r = post_raw(world, "landholder", cid, body)
        assert r.status_code == 400, (field, raw, r.status_code, r.data[:200])
        assert error(r)["code"] == "validation_error"

    survey = world.register()["case"]["id"]
    for raw in ("1e400", "NaN", "-Infinity", "1" + "0" * 400):
        data = survey_without_samples(world)
        sample = '{"pollutant": "铅", "value": ' + raw + ', "unit": "mg/kg"}'
        body = json.dumps({"kind": "survey_report", "data": "DATA"}, ensure_ascii=False)
        body = body.replace('"DATA"', _with(data, "samples", f"[{sample}]"))
        r = post_raw(world, "landholder", survey, body)
        assert r.status_code == 400, (raw, r.status_code, r.data[:200])
    assert [f["kind"] for f in filings(world, cid)] == ["survey_report"]
    assert filings(world, survey) == []


def test_malformed_json_is_400(world):
    cid = world.register()["case"]["id"]
    r = post_raw(world, "landholder", cid, '{"kind": "survey_report", "data": {')
    assert r.status_code == 400
    assert error(r)["code"] == "validation_error"


def test_deeply_nested_json_is_400_not_500(world):
    # "Never a 500 for bad input" (DESIGN §8): a JSON bomb of nested arrays
    # makes Python's json module raise RecursionError, not ValueError.
    cid = world.register()["case"]["id"]
    depth = 100_000
    nested = "[" * depth + "]" * depth
    r = post_raw(world, "landholder", cid, '{"kind": "survey_report", "data": ' + nested + "}")
    assert r.status_code == 400, (r.status_code, r.data[:200])
    assert error(r)["code"] == "validation_error"


def test_deeply_nested_multipart_data_is_400_not_500(world):
    cid = world.register()["case"]["id"]
    depth = 100_000
    r = world.client.post(
        f"/api/v1/cases/{cid}/filings",
        data={"kind": "survey_report", "data": "[" * depth + "]" * depth},
        content_type="multipart/form-data",
        headers=world.landholder.headers,
    )
    assert r.status_code == 400, (r.status_code, r.data[:200])
    assert error(r)["code"] == "validation_error"


@pytest.mark.parametrize(
    "sample",
    [
        {"point_id": "P" * 100, "pollutant": "铅", "value": 650, "unit": "mg/kg"},
        {"point_id": "S\u00001", "pollutant": "铅", "value": 650, "unit": "mg/kg"},
        {"point_id": "S1", "pollutant": "铅", "value": 650, "unit": "mg" + " " * 20 + "/kg"},
    ],
    ids=["point-id-100-chars", "point-id-with-nul", "unit-with-inner-spaces"],
)
def test_odd_sample_text_is_refused_or_kept_never_500(world, sample):
    # Found on PostgreSQL: samples.point_id is VARCHAR(64) and samples.unit
    # VARCHAR(16), but the API lets 200 characters through, and a NUL cannot be
    # stored in a PostgreSQL text column at all: each gave a 500.
    cid = world.register()["case"]["id"]
    data = {**world.survey_data(), "samples": [sample]}
    r = post_filing(world, "landholder", cid, "survey_report", data)
    assert r.status_code in (201, 400), (r.status_code, r.get_json())
    if r.status_code == 400:
        assert error(r)["code"] == "validation_error"
    elif "\x00" not in sample["point_id"]:
        (row,) = r.get_json()["exceedances"]
        assert row["point_id"] == sample["point_id"]  # kept whole, not cut


def test_long_point_id_in_csv_is_refused_or_kept_never_500(world):
    cid = world.register()["case"]["id"]
    point = "Q" * 150
    csv = f"点位编号,深度,污染物,检测值,单位\n{point},0.5,铅,650,mg/kg\n".encode("gb18030")
    r = multipart(world, "landholder", cid, data=survey_without_samples(world), samples=csv)
    assert r.status_code in (201, 400), (r.status_code, r.get_json())
    if r.status_code == 201:
        assert r.get_json()["exceedances"][0]["point_id"] == point
    else:
        assert names_field(error(r)["fields"], "samples"), error(r)


# ---------------------------------------------------------------- contradictions


def test_risk_report_may_not_contradict_its_numbers(world):
    cid = world.to_state("risk_assessment")
    base = world.risk_data(acceptable=True)
    for over in ({"carcinogenic_risk_max": 2e-6}, {"hazard_quotient_max": 1.5}):
        r = post_filing(world, "landholder", cid, "risk_assessment_report", {**base, **over})
        assert r.status_code == 400, over
        assert "risk_acceptable" in error(r)["fields"]

    unacceptable = world.risk_data(acceptable=False)
    no_targets = {k: v for k, v in unacceptable.items() if k != "targets"}
    for data in (no_targets, {**no_targets, "targets": []}):
        r = post_filing(world, "landholder", cid, "risk_assessment_report", data)
        assert r.status_code == 400
        assert "targets" in error(r)["fields"]
    unknown = {**unacceptable, "targets": [{"pollutant": "独角兽素", "target_mg_kg": 1}]}
    r = post_filing(world, "landholder", cid, "risk_assessment_report", unknown)
    assert r.status_code == 400
    assert "独角兽素" in error(r)["message"]
    assert "targets[0].pollutant" in error(r)["fields"]
    assert filings(world, cid)[-1]["kind"] == "survey_report"

    # Exactly at the limits is acceptable: only "> 1e-6" and "> 1" contradict.
    at_limit = {**base, "carcinogenic_risk_max": 1e-6, "hazard_quotient_max": 1.0}
    r = post_filing(world, "landholder", cid, "risk_assessment_report", at_limit)
    assert r.status_code == 201, r.get_json()


def test_evaluation_that_passes_with_a_value_above_its_target_is_400(world):
    cid = case_for(world, "evaluation_report")
    data = world.evaluation_data(passed=True)
    data["results"] = [
        {"pollutant": "镉", "value_mg_kg": 3, "target_mg_kg": 20},
        {"pollutant": "Lead", "value_mg_kg": 480, "target_mg_kg": 400},
    ]
    r = post_filing(world, "evaluator", cid, "evaluation_report", data)
    assert r.status_code == 400
    assert "passed" in error(r)["fields"]
    assert "铅" in error(r)["message"]

    data["results"][1]["value_mg_kg"] = 400  # equal to the target is not above it
    r = post_filing(world, "evaluator", cid, "evaluation_report", data)
    assert r.status_code == 201, r.get_json()
    assert [f["kind"] for f in filings(world, cid)].count("evaluation_report") == 1


# ---------------------------------------------------------------- credit codes


def bad_check_char(code: str) -> str:
    other = next(c for c in ALPHABET if c != code[-1])
    return code[:-1] + other


def test_unit_credit_codes_must_be_valid_and_registered(world, db):
    cid = world.register()["case"]["id"]
    good = world.survey_data()
    cases = [
        (bad_check_char(world.surveyor.party.credit_code), "校验位"),
        (new_credit_code(), "未在本系统登记"),
        ("12345", "18"),
    ]
    for code, reason in cases:
        r = post_filing(
            world, "landholder", cid, "survey_report", {**good, "unit_credit_code": code}
        )
        assert r.status_code == 400, code
        err = error(r)
        assert "unit_credit_code" in err["fields"], err
        assert reason in err["fields"]["unit_credit_code"], err

    # Lower case and surrounding spaces are the same code.
    loose = f"  {world.surveyor.party.credit_code.lower()}  "
    r = post_filing(world, "landholder", cid, "survey_report", {**good, "unit_credit_code": loose})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["unit"]["credit_code"] == world.surveyor.party.credit_code


def test_a_banned_unit_cannot_be_named_in_a_filing(world, db):
    cid = world.register()["case"]["id"]
    party = db.session.get(Party, world.surveyor.party.id)
    party.banned_lifelong = True
    db.session.commit()
    r = post_filing(world, "landholder", cid, "survey_report", world.survey_data())
    assert r.status_code == 400
    assert "unit_credit_code" in error(r)["fields"]
    assert filings(world, cid) == []


def test_a_banned_filer_cannot_file(world, db):
    cid = world.register()["case"]["id"]
    party = db.session.get(Party, world.landholder.party.id)
    party.banned_lifelong = True
    db.session.commit()
    r = post_filing(world, "landholder", cid, "survey_report", world.survey_data())
    assert r.status_code in (400, 403)
    assert filings(world, cid) == []


def test_plan_contractor_code_must_be_registered(world):
    cid = world.to_state("plan_filing")
    data = {**world.plan_data(), "contractor_credit_code": new_credit_code()}
    r = post_filing(world, "landholder", cid, "remediation_plan", data)
    assert r.status_code == 400
    assert "contractor_credit_code" in error(r)["fields"]


# ---------------------------------------------------------------- uploads


def test_multipart_survey_with_pdf_and_gb18030_csv(world):
    cid = world.register()["case"]["id"]
    pdf = pdf_bytes()
    r = multipart(
        world,
        "landholder",
        cid,
        data=survey_without_samples(world),
        files=[("调查报告.pdf", pdf)],
        samples=SAMPLES_CSV,
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    pdf_sha = hashlib.sha256(pdf).hexdigest()
    csv_sha = hashlib.sha256(SAMPLES_CSV).hexdigest()
    by_sha = {d["sha256"]: d for d in body["documents"]}
    assert set(by_sha) == {pdf_sha, csv_sha}
    assert by_sha[pdf_sha]["name"] == "调查报告.pdf"
    assert by_sha[pdf_sha]["mime"] == "application/pdf"
    assert body["data"]["samples_count"] == 3

    # Lead 650 mg/kg and benzo[a]pyrene 800 μg/kg (= 0.8 mg/kg) exceed the
    # first-category screening values (400 and 0.55); cadmium 2.1 does not.
    exceed = {e["pollutant"]: e for e in body["exceedances"]}
    assert set(exceed) == {"铅", "苯并[a]芘"}
    assert exceed["铅"]["value_mg_kg"] == 650
    assert exceed["铅"]["level"] == "above_screening"
    assert exceed["铅"]["point_id"] == "S1"
    assert exceed["苯并[a]芘"]["value_mg_kg"] == pytest.approx(0.8)
    assert exceed["苯并[a]芘"]["level"] == "above_screening"
    assert body["exceedances"][0]["pollutant"] == "铅"

    event = events(world, cid, "survey_report")
    assert len(event) == 1
    assert pdf_sha in event[0]["documents"] and csv_sha in event[0]["documents"]
    assert event[0]["party"] == world.landholder.party.credit_code


def test_several_pdfs_in_one_filing(world):
    cid = world.register()["case"]["id"]
    first, second = pdf_bytes(), pdf_bytes(size=300)
    r = multipart(
        world,
        "landholder",
        cid,
        data=world.survey_data(),
        files=[("a.pdf", first), ("b.pdf", second)],
    )
    assert r.status_code == 201, r.get_json()
    shas = {d["sha256"] for d in r.get_json()["documents"]}
    assert shas == {hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest()}


def test_a_file_that_is_not_a_pdf_is_415(world):
    cid = world.register()["case"]["id"]
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    junk_first = b"JUNK" * 10 + pdf_bytes()
    for content in (html, junk_first, b""):
        r = multipart(
            world, "landholder", cid, data=world.survey_data(), files=[("x.pdf", content)]
        )
        assert r.status_code == 415, (content[:20], r.get_json())
        assert error(r)["code"] == "unsupported_media_type"
    assert filings(world, cid) == []
    assert events(world, cid, "survey_report") == []


def test_csv_with_an_unknown_pollutant_is_400_naming_it(world):
    cid = world.register()["case"]["id"]
    csv = "point_id,depth_m,pollutant,value,unit\nS1,0.5,独角兽素,12,mg/kg\nS1,0.5,铅,100,mg/kg\n"
    r = multipart(
        world, "landholder", cid, data=survey_without_samples(world), samples=csv.encode()
    )
    assert r.status_code == 400
    err = error(r)
    assert "独角兽素" in err["message"]
    assert "samples" in err["fields"]
    assert filings(world, cid) == []


def test_csv_with_a_bad_unit_or_value_is_400(world):
    cid = world.register()["case"]["id"]
    for row in (
        "S1,0.5,铅,12,ppm",
        "S1,0.5,铅,abc,mg/kg",
        "S1,0.5,铅,-3,mg/kg",
        "S1,0.5,铅,nan,mg/kg",
    ):
        csv = f"点位编号,深度,污染物,检测值,单位\n{row}\n".encode("gb18030")
        r = multipart(world, "landholder", cid, data=survey_without_samples(world), samples=csv)
        assert r.status_code == 400, (row, r.get_json())
        assert "samples" in error(r)["fields"]
    assert filings(world, cid) == []


def test_samples_both_as_csv_and_in_data_is_400(world):
    cid = world.register()["case"]["id"]
    r = multipart(world, "landholder", cid, data=world.survey_data(), samples=SAMPLES_CSV)
    assert r.status_code == 400
    assert "samples" in error(r)["fields"]
    assert filings(world, cid) == []


def test_survey_without_samples_is_400(world):
    cid = world.register()["case"]["id"]
    r = post_filing(world, "landholder", cid, "survey_report", survey_without_samples(world))
    assert r.status_code == 400
    assert "samples" in error(r)["fields"]
    r = multipart(world, "landholder", cid, data=survey_without_samples(world))
    assert r.status_code == 400
    assert "samples" in error(r)["fields"]
    header_only = "点位编号,深度,污染物,检测值,单位\n".encode("gb18030")
    r = multipart(world, "landholder", cid, data=survey_without_samples(world), samples=header_only)
    assert r.status_code == 400
    assert filings(world, cid) == []


def test_samples_only_with_a_survey_report(world):
    cid = world.to_state("risk_assessment")
    r = multipart(
        world,
        "landholder",
        cid,
        kind="risk_assessment_report",
        data=world.risk_data(),
        samples=SAMPLES_CSV,
    )
    assert r.status_code == 400
    assert "samples" in error(r)["fields"]


def test_multipart_data_that_is_not_json_is_400(world):
    cid = world.register()["case"]["id"]
    r = world.client.post(
        f"/api/v1/cases/{cid}/filings",
        data={"kind": "survey_report", "data": "{not json"},
        content_type="multipart/form-data",
        headers=world.landholder.headers,
    )
    assert r.status_code == 400
    assert "data" in error(r)["fields"]


# ---------------------------------------------------------------- idempotency


def test_idempotency_key_replay_creates_one_filing(world):
    cid = world.register()["case"]["id"]
    headers = {**world.landholder.headers, "Idempotency-Key": "survey-2027-0001"}
    first = world.client.post(
        f"/api/v1/cases/{cid}/filings",
        json={"kind": "survey_report", "data": world.survey_data()},
        headers=headers,
    )
    assert first.status_code == 201, first.get_json()
    again = world.client.post(
        f"/api/v1/cases/{cid}/filings",
        json={"kind": "survey_report", "data": world.survey_data()},
        headers=headers,
    )
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(filings(world, cid)) == 1
    assert len(events(world, cid, "survey_report")) == 1

    # A multipart replay with the same key is also the same filing.
    r = multipart(
        world,
        "landholder",
        cid,
        data=world.survey_data(),
        files=[("x.pdf", pdf_bytes())],
        headers={"Idempotency-Key": "survey-2027-0001"},
    )
    assert r.status_code == 200
    assert r.get_json()["id"] == first.get_json()["id"]

    # Another key is another filing.
    other = world.client.post(
        f"/api/v1/cases/{cid}/filings",
        json={"kind": "survey_report", "data": world.survey_data()},
        headers={**world.landholder.headers, "Idempotency-Key": "survey-2027-0002"},
    )
    assert other.status_code == 201
    assert len(filings(world, cid)) == 2
    assert len(events(world, cid, "survey_report")) == 2


# ---------------------------------------------------------------- documents


def test_document_download_is_an_attachment_with_the_exact_bytes(world):
    cid = world.register()["case"]["id"]
    pdf = pdf_bytes()
    r = multipart(
        world,
        "landholder",
        cid,
        data=survey_without_samples(world),
        files=[("调查报告.pdf", pdf)],
        samples=SAMPLES_CSV,
    )
    assert r.status_code == 201, r.get_json()
    docs = {d["purpose"]: d for d in r.get_json()["documents"]}

    for who in ("landholder", "env", "nr"):
        got = world.client.get(
            f"/api/v1/documents/{docs['attachment']['id']}", headers=world.actors[who].headers
        )
        assert got.status_code == 200, who
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert got.data == pdf
        assert got.mimetype == "application/pdf"
    got = world.client.get(
        f"/api/v1/documents/{docs['samples']['id']}", headers=world.landholder.headers
    )
    assert got.status_code == 200
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.data == SAMPLES_CSV

    for url in (f"/documents/{docs['attachment']['id']}", "/documents/999999"):
        r = world.get("other_landholder", url)
        assert r.status_code == 404, url
        assert error(r)["code"] == "not_found"
    assert world.client.get(f"/api/v1/documents/{docs['attachment']['id']}").status_code == 401


# ---------------------------------------------------------------- who may file


def test_a_contractor_may_not_file_the_survey_report(world):
    cid = world.register()["case"]["id"]
    # Not engaged on the case: it does not exist for the contractor.
    r = post_filing(world, "contractor", cid, "survey_report", world.survey_data())
    assert r.status_code == 404
    assign(world, cid, "contractor", "contractor")
    r = post_filing(world, "contractor", cid, "survey_report", world.survey_data())
    assert r.status_code == 403
    assert error(r)["code"] == "forbidden"
    assert filings(world, cid) == []


def test_only_the_assigned_evaluator_files_the_evaluation(world):
    cid = world.to_state("evaluation")
    data = world.evaluation_data()
    # Nobody is engaged yet: the evaluator does not see the case.
    assert post_filing(world, "evaluator", cid, "evaluation_report", data).status_code == 404
    for who in ("landholder", "contractor"):
        r = post_filing(world, who, cid, "evaluation_report", data)
        assert r.status_code == 403, who
    assign(world, cid, "evaluator", "evaluator")
    r = post_filing(world, "evaluator", cid, "evaluation_report", data)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["party"] == world.evaluator.party.credit_code
    assert events(world, cid, "evaluation_report")[0]["actor"] == world.evaluator.user.username


def test_the_plans_contractor_files_the_works_notice_and_progress(world):
    cid = world.to_state("plan_filing")
    world.file("landholder", cid, "remediation_plan", world.plan_data(offsite=False))
    world.act("landholder", cid, "submit")
    world.act("env", cid, "approve")
    case = world.case(cid, "contractor")
    assert case["state"] == "works"
    assert case["responsibility"]["contractor"]["credit_code"] == world.contractor.party.credit_code

    notice = world.file("contractor", cid, "works_notice", world.notice_data())
    assert notice["party"] == world.contractor.party.credit_code
    world.file(
        "contractor", cid, "progress_report", {"summary": "开挖完成", "percent_complete": 100}
    )
    # Another contractor, not named in the plan, has no access at all.
    r = post_filing(
        world, "surveyor", cid, "progress_report", {"summary": "x", "percent_complete": 1}
    )
    assert r.status_code == 404
    kinds = [f["kind"] for f in filings(world, cid)]
    assert kinds.count("works_notice") == 1 and kinds.count("progress_report") == 1
