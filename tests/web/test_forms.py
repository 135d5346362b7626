"""Form errors (issue 4 §5): each shown beside its field in Chinese, whether the
form or the service found it, and nothing the user typed is lost."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import Filing, Manifest, Site
from tests.support import SITE, new_credit_code, transfer_start
from tests.web.conftest import SAMPLES_CSV, case_row, ledger_count, page, pdf_bytes

SITE_FORM = {
    "name": "原章凤化工厂地块",
    "township": "章凤镇",
    "address": "章凤镇迭撒路 12 号",
    "area_m2": "8800.5",
    "planned_use": "residential",
    "former_industry": "农药制造",
    "trigger": "use_change",
}


def _sites() -> int:
    return db.session.scalar(select(func.count()).select_from(Site))


def test_registering_a_plot_with_missing_fields_says_so_beside_each_field(login_as, world):
    client = login_as(world.landholder.user)
    before = _sites()
    r = client.post("/portal/sites/new", data={"name": "只填了名称的地块", "address": ""})
    assert r.status_code == 400
    doc = page(r)
    for name in ("township", "address", "area_m2", "planned_use", "former_industry", "trigger"):
        assert doc.errors_beside(name) == ["此项必填"], name
    assert doc.errors_beside("name") == []
    assert doc.value("name") == "只填了名称的地块"
    assert _sites() == before


def test_an_unregistered_responsible_party_is_reported_beside_its_field(login_as, world):
    client = login_as(world.landholder.user)
    stranger = new_credit_code()  # a valid code that no party holds
    before, sites = ledger_count(), _sites()
    r = client.post(
        "/portal/sites/new", data={**SITE_FORM, "responsible_party_credit_code": stranger}
    )
    assert r.status_code == 400
    doc = page(r)
    errors = doc.errors_beside("responsible_party_credit_code")
    assert len(errors) == 1 and stranger in errors[0] and "未在本系统登记" in errors[0]
    # Everything typed is still there.
    assert doc.value("name") == SITE_FORM["name"]
    assert doc.value("township") == "章凤镇"
    assert doc.value("address") == SITE_FORM["address"]
    assert float(doc.value("area_m2")) == 8800.5
    assert doc.value("planned_use") == "residential"
    assert doc.value("former_industry") == "农药制造"
    assert doc.value("trigger") == "use_change"
    assert doc.value("responsible_party_credit_code") == stranger
    assert _sites() == sites and ledger_count() == before


def test_a_credit_code_with_a_wrong_check_character_is_refused_beside_its_field(login_as, world):
    client = login_as(world.landholder.user)
    code = world.contractor.party.credit_code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    r = client.post("/portal/sites/new", data={**SITE_FORM, "responsible_party_credit_code": wrong})
    assert r.status_code == 400
    errors = page(r).errors_beside("responsible_party_credit_code")
    assert len(errors) == 1 and "校验" in errors[0]


def test_a_plot_registered_through_the_form_opens_its_case(login_as, world):
    client = login_as(world.landholder.user)
    r = client.post("/portal/sites/new", data=SITE_FORM)
    assert r.status_code == 302
    r = client.get(r.headers["Location"])
    doc = page(r)
    badge = doc.one(data_testid="case-state")
    assert badge.get("data-state") == "survey"
    assert any("地块已登记" in a for a in doc.alerts())


def test_an_invalid_boundary_file_is_refused_and_the_form_kept(login_as, world):
    client = login_as(world.landholder.user)
    before = _sites()
    r = client.post(
        "/portal/sites/new",
        data={**SITE_FORM, "boundary_file": (io.BytesIO(b"{not json"), "plot.geojson")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    doc = page(r)
    assert "GeoJSON 解析失败" in [doc.text(e) for e in doc.all(role="alert")]
    assert doc.value("name") == SITE_FORM["name"]
    assert _sites() == before


# ---------------------------------------------------------------- filings


def _survey_form(world, csv: bytes | None, **over):
    data = {
        "unit_credit_code": world.surveyor.party.credit_code,
        "project_lead": "李调查",
        "conclusion": "铅超过第一类用地筛选值",
        **over,
    }
    if csv is not None:
        data["samples"] = (io.BytesIO(csv), "samples.csv")
    data["files"] = [(io.BytesIO(pdf_bytes()), "调查报告.pdf")]
    return data


def _filings(cid) -> int:
    return db.session.scalar(select(func.count()).select_from(Filing).where(Filing.case_id == cid))


def test_a_survey_without_its_samples_csv_is_refused_beside_the_upload(login_as, world):
    cid = world.to_state("survey")
    client = login_as(world.landholder.user)
    r = client.post(
        f"/portal/cases/{cid}/file/survey_report",
        data=_survey_form(world, None, project_lead=""),
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    doc = page(r)
    assert doc.errors_beside("samples") == ["请上传样品检测数据 CSV 文件"]
    assert doc.errors_beside("project_lead") == ["此项必填"]
    assert doc.value("conclusion") == "铅超过第一类用地筛选值"
    assert doc.value("unit_credit_code") == world.surveyor.party.credit_code
    assert _filings(cid) == 0


def test_an_unknown_pollutant_in_the_csv_is_named_beside_the_upload(login_as, world):
    cid = world.to_state("survey")
    client = login_as(world.landholder.user)
    csv = "点位编号,深度,污染物,检测值,单位\nS1,0.5,铅,650,mg/kg\nS2,0.5,氪星石,3,mg/kg\n"
    r = client.post(
        f"/portal/cases/{cid}/file/survey_report",
        data=_survey_form(world, csv.encode("gb18030")),
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    errors = page(r).errors_beside("samples")
    assert errors and any("氪星石" in e and "第 3 行" in e for e in errors), errors
    assert page(r).value("project_lead") == "李调查"
    assert _filings(cid) == 0 and case_row(cid)[0] == "survey"


def test_a_survey_filed_through_the_form_shows_its_screening(login_as, world):
    cid = world.to_state("survey")
    client = login_as(world.landholder.user)
    r = client.post(
        f"/portal/cases/{cid}/file/survey_report",
        data=_survey_form(world, SAMPLES_CSV.encode("gb18030")),
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/portal/cases/{cid}#screening")
    doc = page(client.get(f"/portal/cases/{cid}"))
    assert any("共 3 个样品" in a for a in doc.alerts())
    rows = doc.all("tr", cls="level-above_screening")
    assert [doc.text(r) for r in rows] and "铅" in doc.text(rows[0])
    assert "650" in doc.text(rows[0])


def test_a_contradictory_risk_assessment_is_refused_beside_the_conclusion(login_as, world):
    cid = world.to_state("risk_assessment")
    client = login_as(world.landholder.user)
    r = client.post(
        f"/portal/cases/{cid}/file/risk_assessment_report",
        data={"unit_credit_code": world.surveyor.party.credit_code, "project_lead": "王评估",
              "carcinogenic_risk_max": "3.2e-5", "hazard_quotient_max": "2.4",
              "risk_acceptable": "true", "targets": ""},
    )  # fmt: skip
    assert r.status_code == 400
    doc = page(r)
    errors = doc.errors_beside("risk_acceptable")
    assert len(errors) == 1 and "自相矛盾" in errors[0]
    assert doc.value("carcinogenic_risk_max") in ("3.2e-5", "0.000032", "0.0000320")
    assert doc.value("project_lead") == "王评估"


def test_a_badly_formed_targets_line_is_refused_beside_the_targets(login_as, world):
    cid = world.to_state("risk_assessment")
    client = login_as(world.landholder.user)
    r = client.post(
        f"/portal/cases/{cid}/file/risk_assessment_report",
        data={"unit_credit_code": world.surveyor.party.credit_code, "project_lead": "王评估",
              "carcinogenic_risk_max": "3.2e-5", "hazard_quotient_max": "2.4",
              "risk_acceptable": "false", "targets": "铅,四百"},
    )  # fmt: skip
    assert r.status_code == 400
    doc = page(r)
    assert doc.errors_beside("targets") == ["第 1 行的“四百”不是数字"]
    assert doc.value("targets") == "铅,四百"


def test_a_manifest_starting_too_soon_names_the_earliest_date_beside_the_start(login_as, world):
    cid = world.to_state("transfer_reporting")
    client = login_as(world.contractor.user)
    earliest = transfer_start()
    data = {
        "quantity_t": "120",
        "mode": "road",
        "route": "章凤镇—G320—芒市",
        "origin_address": SITE["address"],
        "destination_facility_credit_code": world.facility.party.credit_code,
        "destination_county": "芒市",
        "planned_start": _day_before(earliest),
        "planned_end": transfer_start(5),
        "final_disposal": "水泥窑协同处置",
    }
    manifests = db.session.scalar(select(func.count()).select_from(Manifest))
    r = client.post(f"/portal/cases/{cid}/manifests/new", data=data)
    assert r.status_code == 400
    doc = page(r)
    errors = doc.errors_beside("planned_start")
    assert len(errors) == 1 and earliest in errors[0]
    assert doc.value("route") == "章凤镇—G320—芒市"
    assert db.session.scalar(select(func.count()).select_from(Manifest)) == manifests

    r = client.post(f"/portal/cases/{cid}/manifests/new", data={**data, "planned_start": earliest})
    assert r.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Manifest)) == manifests + 1


def _day_before(iso: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(iso) - timedelta(days=1)).isoformat()
