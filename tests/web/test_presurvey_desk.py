"""DESIGN §12 in the browser's HTML: the desk's suspected plots (record, order a
survey, dismiss), its key units (list, close), a key unit's own filings in the
portal, and the public list."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import KeyUnit, Suspect, UnitFiling
from app.services import clock, workdays
from tests.support import Actor, bearer, make_party, make_user
from tests.web.conftest import ledger_count, page

FORM = {"name": "原章凤镇电镀厂地块", "source": "key_enterprise_closure", "township": "章凤镇",
        "address": "章凤镇工业园 3 号", "former_industry": "电镀", "planned_use": ""}  # fmt: skip


def test_an_officer_records_a_suspected_plot_and_orders_its_survey(world, login_as):
    officer = login_as(world.env.user)
    # Missing fields come back beside the fields, nothing stored.
    r = officer.post("/review/suspects", data={**FORM, "name": ""})
    assert r.status_code == 400 and page(r).errors_beside("name")
    assert _db.session.scalar(select(func.count()).select_from(Suspect)) == 0

    r = officer.post("/review/suspects", data={
        **FORM, "landholder_credit_code": world.landholder.party.credit_code,
        "boundary": '{"type": "Polygon", "coordinates": [[[97.79, 24.18], [97.8, 24.18], '
                    '[97.8, 24.19], [97.79, 24.18]]]}'})  # fmt: skip
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    suspect_url = r.headers["Location"]
    html = officer.get("/review/suspects").get_data(as_text=True)
    assert "原章凤镇电镀厂地块" in html and 'id="suspect-map-data"' in html
    assert '"lat": 24.18' in html  # the map's data carries the plot

    # A date in the past is refused beside the field.
    order_url = suspect_url + "/order"
    r = officer.post(order_url, data={"due": clock.today().isoformat(), "planned_use": ""})
    assert r.status_code == 400 and page(r).errors_beside("due")
    due = (clock.today() + timedelta(days=90)).isoformat()
    before = ledger_count()
    r = officer.post(order_url, data={"due": due, "note": "限期完成调查", "planned_use": ""})
    assert r.status_code == 302
    doc = page(officer.get(r.headers["Location"]))
    assert any("已责令开展土壤污染状况调查" in a for a in doc.alerts())
    assert doc.one(data_testid="suspect-status").get("data-status") == "ordered"
    assert ledger_count() == before + 1

    # The landholder sees the ordered survey on the portal with its deadline.
    holder = login_as(world.landholder.user)
    html = holder.get("/portal/").get_data(as_text=True)
    assert "原章凤镇电镀厂地块" in html and due in html
    inbox = holder.get("/inbox/").get_data(as_text=True)
    assert "责令" in inbox and due in inbox


def test_a_dismissal_needs_a_reason(world, login_as):
    officer = login_as(world.env.user)
    r = officer.post("/review/suspects", data={**FORM, "source": "tipoff"})
    url = r.headers["Location"]
    r = officer.post(url + "/dismiss", data={"reason": ""})
    assert r.status_code == 400 and page(r).errors_beside("reason")
    r = officer.post(url + "/dismiss", data={"reason": "现场核查为新建厂房"})
    assert r.status_code == 302
    assert _db.session.scalar(select(Suspect.status)) == "dismissed"


def test_admins_and_parties_have_no_suspect_desk(world, login_as):
    assert login_as(world.admin.user).get("/review/suspects").status_code == 403
    assert login_as(world.landholder.user).get("/review/suspects").status_code == 403


def _unit(world):
    party = make_party("陇川县某冶炼有限公司")
    user = make_user("landholder", party)
    world.actors["unit"] = Actor(user, bearer(user), party)
    return party


def test_key_units_on_the_desk_and_the_public_list(world, login_as, web):
    party = _unit(world)
    officer = login_as(world.env.user)
    year = clock.today().year
    r = officer.post("/review/key-units", data={"credit_code": party.credit_code, "year": year,
                                                "industry": "有色金属冶炼", "township": "章凤镇"})  # fmt: skip
    assert r.status_code == 302
    r = officer.post("/review/key-units", data={"credit_code": party.credit_code, "year": year})
    assert r.status_code == 400 and page(r).errors_beside("credit_code")
    assert "陇川县某冶炼有限公司" in officer.get("/review/key-units").get_data(as_text=True)

    html = web.get(f"/key-units?year={year}").get_data(as_text=True)
    assert "陇川县某冶炼有限公司" in html and party.credit_code in html
    assert web.get("/key-units?year=19").status_code == 404

    # Closing: the unit becomes a suspected plot, shown next.
    r = officer.post(f"/review/key-units/{party.credit_code}/close",
                     data={"status": "closed", "date": clock.today().isoformat()})  # fmt: skip
    assert r.status_code == 302 and "/review/suspects/" in r.headers["Location"]
    assert _db.session.scalar(select(KeyUnit.status)) == "closed"
    assert _db.session.scalar(select(Suspect.source)) == "key_enterprise_closure"


SAMPLES_CSV = "点位,深度(m),污染物,检测值,单位\nT1,0.2,铅,1200,mg/kg\nT2,0.2,镉,2,mg/kg\n"


def test_a_key_unit_files_in_the_portal(world, login_as):
    party = _unit(world)
    world.post("env", "/key-units", {"credit_code": party.credit_code, "year": clock.today().year})
    me = login_as(world.unit.user)
    assert "重点监管单位报送" in me.get("/portal/").get_data(as_text=True)
    assert me.get("/portal/key-unit").status_code == 200
    r = me.post("/portal/key-unit/self-monitoring", data={
        "year": clock.today().year - 1, "monitoring_unit": "云南某检测公司",
        "sampled_on": (clock.today() - timedelta(days=3)).isoformat(), "conclusion": "见附表",
        "samples": (io.BytesIO(SAMPLES_CSV.encode("gb18030")), "样品.csv")},
        content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    assert _db.session.scalar(select(UnitFiling.exceedances)) == 1

    # A plan 10 working days ahead: refused beside the date, nothing stored.
    start = workdays.add_workdays(clock.today(), 10)
    plan = {"demolition_start": start.isoformat(),
            "demolition_end": (start + timedelta(days=20)).isoformat(),
            "facilities": "焙烧炉", "measures": "围挡、防渗", "waste_disposal": "交有资质单位"}  # fmt: skip
    r = me.post("/portal/key-unit/demolition-plan", data=plan)
    assert r.status_code == 400 and page(r).errors_beside("demolition_start")
    assert _db.session.scalar(select(func.count()).select_from(UnitFiling)) == 1
    # Another landholder has no key-unit page.
    assert login_as(world.landholder.user).get("/portal/key-unit").status_code == 404


GOOD_CSV = "地块名称,乡镇,地址,原从事行业,来源\n原砖厂,章凤镇,拉勐村,砖瓦,土地收回\n原糖厂,景罕镇,广宋村,制糖,use_change\n"
BAD_CSV = GOOD_CSV + '原油库,陇把镇,吕良村,=HYPERLINK("http://x"),传闻\n'


def _upload(client, text: str, encoding="utf-8"):
    return client.post("/review/import", data={
        "kind": "suspected", "file": (io.BytesIO(text.encode(encoding)), "疑似地块.csv")},
        content_type="multipart/form-data")  # fmt: skip


def test_an_import_with_bad_rows_stores_nothing_and_a_good_one_is_confirmed(world, login_as):
    officer = login_as(world.env.user)
    before = ledger_count()
    r = _upload(officer, BAD_CSV, "gb18030")
    assert r.status_code == 400
    doc = page(r)
    assert doc.one(data_testid="import-preview").get("data-ok") == "false"
    assert [e.get("data-error-line") for e in doc.all("tr", cls=("table-danger",))] == ["4"]
    assert 'name="token"' not in r.get_data(as_text=True)
    assert ledger_count() == before
    assert _db.session.scalar(select(func.count()).select_from(Suspect)) == 0

    r = _upload(officer, GOOD_CSV)
    assert r.status_code == 200
    token = page(r).value("token")
    assert token and _db.session.scalar(select(func.count()).select_from(Suspect)) == 0
    r = officer.post("/review/import/confirm", data={"token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/review/suspects")
    assert _db.session.scalar(select(func.count()).select_from(Suspect)) == 2
    # A second confirmation stores nothing more.
    r = officer.post("/review/import/confirm", data={"token": token})
    assert r.status_code == 302
    assert _db.session.scalar(select(func.count()).select_from(Suspect)) == 2
