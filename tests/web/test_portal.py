"""The portal (issue 4 §2): my plots and cases, assignments, the contractor's
progress report, the facility's incoming manifests."""

from __future__ import annotations

from tests.web.conftest import ledger_count, page


def _rows(doc):
    table = doc.one("table", data_testid="case-list")
    return {
        doc.text(doc.all("a", under=tr)[0]): tr
        for tr in doc.all("tr", under=table)
        if doc.all("td", under=tr)
    }


def test_my_cases_lists_each_plot_with_its_state(login_as, world):
    world.to_state("survey", site=world.register(name="待调查地块"))
    world.to_state("survey_review", site=world.register(name="待审查地块"))
    world.to_state("survey", site=world.register("other_landholder", name="别人的地块"))
    doc = page(login_as(world.landholder.user).get("/portal/"))
    rows = _rows(doc)
    assert set(rows) == {"待调查地块", "待审查地块"}
    assert "土壤污染状况调查" in doc.text(rows["待调查地块"])
    assert "调查报告审查" in doc.text(rows["待审查地块"])


def test_my_cases_says_what_is_expected_next_and_of_whom(login_as, world):
    """Gap: the list shows the stage and its days but not what is expected
    next, nor whether it is the landholder's turn or the bureau's (issue 4 §2:
    "my plots and cases with their state and what is expected next")."""
    world.to_state("survey", site=world.register(name="待调查地块"))
    world.to_state("survey_review", site=world.register(name="待审查地块"))
    doc = page(login_as(world.landholder.user).get("/portal/"))
    rows = _rows(doc)
    mine = doc.text(rows["待调查地块"])
    assert "调查报告" in mine and ("填报" in mine or "上传" in mine or "提交" in mine), mine
    theirs = doc.text(rows["待审查地块"])
    assert "生态环境" in theirs or "审查中" in theirs or "等待" in theirs, theirs


def test_an_evaluator_sees_the_cases_it_is_assigned_to(login_as, world):
    cid = world.to_state("evaluation")
    client = login_as(world.evaluator.user)
    assert client.get(f"/portal/cases/{cid}").status_code == 404
    r = world.post(
        "landholder",
        f"/cases/{cid}/assignments",
        {"role": "evaluator", "credit_code": world.evaluator.party.credit_code},
    )
    assert r.status_code == 201, r.get_json()
    assert "原陇川铅锌冶炼厂地块" in set(_rows(page(client.get("/portal/"))))
    doc = page(client.get(f"/portal/cases/{cid}"))
    assert doc.all("a", href=f"/portal/cases/{cid}/file/evaluation_report")


def test_assigning_a_non_independent_evaluator_is_refused_with_the_reason(login_as, world):
    cid = world.to_state("evaluation")
    client = login_as(world.landholder.user)
    before = ledger_count()
    r = client.post(
        f"/portal/cases/{cid}/assign",
        data={"role": "evaluator", "credit_code": world.contractor.party.credit_code},
        follow_redirects=True,
    )
    assert any("独立" in a for a in page(r).alerts())
    assert ledger_count() == before


def test_an_assignment_error_is_shown_beside_the_field_with_the_code_kept(login_as, world):
    """Gap: the assignment form answers every error with a redirect and a flash
    at the top of the case page, so the message is not beside the credit-code
    field and the code typed is lost (issue 4 §5)."""
    cid = world.to_state("evaluation")
    client = login_as(world.landholder.user)
    typed = world.contractor.party.credit_code
    r = client.post(f"/portal/cases/{cid}/assign", data={"role": "evaluator", "credit_code": typed})
    assert r.status_code == 400, r.status_code
    doc = page(r)
    assert any("独立" in e for e in doc.errors_beside("credit_code"))
    assert doc.value("credit_code") == typed


def test_the_contractor_files_a_progress_report(login_as, world):
    cid = world.to_state("works")
    client = login_as(world.contractor.user)
    r = client.post(
        f"/portal/cases/{cid}/file/progress_report", data={"summary": "", "percent_complete": "140"}
    )
    assert r.status_code == 400
    doc = page(r)
    assert doc.errors_beside("summary") == ["此项必填"]
    assert doc.errors_beside("percent_complete") == ["须在 0 到 100 之间"]
    r = client.post(
        f"/portal/cases/{cid}/file/progress_report",
        data={"summary": "已完成 60% 土方开挖", "percent_complete": "60"},
    )
    assert r.status_code == 302
    doc = page(client.get(f"/portal/cases/{cid}"))
    assert "已完成 60% 土方开挖" in doc.text(doc.one("article", data_kind="progress_report"))


def test_the_facility_confirms_receipt_on_its_manifest_list(login_as, world):
    cid = world.to_state("works")
    m = world.case(cid, "env")["manifests"][0]
    world.post("contractor", f"/manifests/{m['id']}/dispatch", {"quantity_t": 120})
    client = login_as(world.facility.user)
    assert client.get("/account").headers["Location"].endswith("/portal/manifests")
    doc = page(client.get("/portal/manifests"))
    row = doc.one("tr", data_number=m["number"])
    assert doc.all("form", action=f"/portal/manifests/{m['id']}/receive", under=row)
    r = client.post(f"/portal/manifests/{m['id']}/receive", data={"quantity_t": "118.5"})
    assert r.status_code == 302
    alerts = page(client.get("/portal/manifests")).alerts()
    got = world.get("env", f"/manifests/{m['id']}").get_json()
    assert (got["status"], got["received_t"]) == ("received", 118.5), alerts
    assert any("已接收" in a for a in alerts), alerts
