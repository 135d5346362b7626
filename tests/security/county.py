"""A small county with one object of every kind, for the access matrix.

One plot ("SITEMX7Q…") held by the ``landholder`` with a *different*
responsible party, driven to ``works``: contractor and evaluator assigned,
three manifests (reported, in transit, in discrepancy) to the ``facility``,
a published notice board, a progress report with a PDF attachment, a proposed
responsibility determination, and a tip-off with a photo. Every text the
objects carry holds a marker, so a denial that leaks any of them is caught by
a plain substring search of the response.

The responsible party took over from a *former* one by succession once the
case was in ``works``: the former party keeps read access to the history up to
its hand-over and must see nothing made after it (the manifests, the progress
report, the determination). An environment officer of another county (瑞丽市)
must see and change nothing of this county.

Actors (the roles of ``access_matrix.yaml``): anonymous; landholder_owner;
landholder_other; responsible; former_responsible; contractor_assigned /
_unassigned; facility_assigned / _unassigned; evaluator_assigned /
_unassigned; bureau_environment; bureau_natural_resources;
bureau_other_county; bureau_prefecture (德宏州, above this county); admin.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import select

from app.extensions import db
from app.models import Case, Notification, Tipoff
from app.services import auth, regions
from app.services import tipoffs as tipoff_service
from tests.support import PASSWORD, Actor, World, bearer, make_party, make_user, new_credit_code

MARKERS = {
    "site": "SITEMX7Q",
    "party": "PARTYMX7Q",
    "document": "DOCMX7Q",
    "manifest": "ROUTEMX7Q",
    "determination": "DETMX7Q",
    "tipoff": "TIPMX7Q",
    "suspect": "SUSPMX7Q",
    "farmland": "FARMMX7Q",
}

ROLES = (
    "anonymous",
    "landholder_owner",
    "landholder_other",
    "responsible",
    "former_responsible",
    "contractor_assigned",
    "contractor_unassigned",
    "facility_assigned",
    "facility_unassigned",
    "evaluator_assigned",
    "evaluator_unassigned",
    "bureau_environment",
    "bureau_natural_resources",
    "bureau_other_county",
    "bureau_prefecture",
    "admin",
)

# role of the matrix -> actor key of the World
ACTOR_OF = {
    "landholder_owner": "landholder",
    "landholder_other": "other_landholder",
    "responsible": "responsible",
    "former_responsible": "former",
    "contractor_assigned": "contractor",
    "contractor_unassigned": "contractor2",
    "facility_assigned": "facility",
    "facility_unassigned": "facility2",
    "evaluator_assigned": "evaluator",
    "evaluator_unassigned": "evaluator2",
    "bureau_environment": "env",
    "bureau_natural_resources": "nr",
    "bureau_other_county": "other_county",
    "bureau_prefecture": "prefecture",
    "admin": "admin",
}


def pdf_bytes(title: str = "report") -> bytes:
    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    w.add_metadata({"/Title": title})
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def jpeg_bytes(size=(32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 60, 30)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class County:
    world: World
    refs: dict = field(default_factory=dict)

    @property
    def case_id(self) -> int:
        return self.refs["case"]

    def resolve(self, value):
        """``$name`` → the object id / code of that name (``$version`` read live)."""
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:]
            if name == "version":
                db.session.expire_all()
                return db.session.scalar(select(Case.version).where(Case.id == self.case_id))
            if name == "fresh_code":
                return new_credit_code()
            return self.refs[name]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def actor(self, role: str) -> Actor | None:
        return None if role == "anonymous" else self.world.actors[ACTOR_OF[role]]


def build(world: World) -> County:
    """Populate the database through the API (as the users would) and return the refs."""
    w = world
    for key, role in [("contractor2", "contractor"), ("facility2", "facility"),
                      ("evaluator2", "evaluator")]:  # fmt: skip
        party = make_party(f"{key}单位")
        user = make_user(role, party)
        w.actors[key] = Actor(user, bearer(user), party)
    responsible = make_party(f"{MARKERS['party']}责任单位")
    r_user = make_user("landholder", responsible)
    w.actors["responsible"] = Actor(r_user, bearer(r_user), responsible)
    former = make_party("原责任单位（已注销）")
    f_user = make_user("landholder", former)
    w.actors["former"] = Actor(f_user, bearer(f_user), former)
    other = make_user("bureau", department="environment")
    other.region_code = "533102"
    db.session.commit()
    w.actors["other_county"] = Actor(other, bearer(other), None)
    upper = auth.create_user("dehong_env", role="bureau", department="environment",
                             county="533100", level="prefecture", password=PASSWORD)  # fmt: skip
    w.actors["prefecture"] = Actor(upper, bearer(upper), None)
    government = make_party("陇川县人民政府（测试）", kind="government")

    reg = w.register(
        name=f"{MARKERS['site']}原冶炼厂地块",
        address=f"{MARKERS['site']}路 1 号",
        responsible_party_credit_code=former.credit_code,
    )
    cid = w.to_state("works", site=reg)
    # The former responsible party is dissolved; ``responsible`` takes over (承继).
    r = w.post("env", f"/parties/{former.credit_code}/succession",
               {"successor_credit_code": responsible.credit_code})  # fmt: skip
    assert r.status_code == 200 and r.get_json()["moved_cases"] == [cid], r.get_json()

    def manifest(status: str) -> int:
        data = {**w.manifest_data(100.0), "route": f"{MARKERS['manifest']} 章凤镇—G320—芒市"}
        r = w.post("contractor", f"/cases/{cid}/manifests", data)
        assert r.status_code == 201, r.get_json()
        mid = r.get_json()["id"]
        if status in ("in_transit", "discrepancy"):
            r = w.post("contractor", f"/manifests/{mid}/dispatch", {"quantity_t": 100})
            assert r.status_code == 200, r.get_json()
        if status == "discrepancy":
            r = w.post("facility", f"/manifests/{mid}/receive", {"quantity_t": 50})
            assert r.status_code == 200 and r.get_json()["status"] == "discrepancy"
        return mid

    refs = {
        "case": cid,
        "site_code": reg["code"],
        "manifest_reported": manifest("reported"),
        "manifest_in_transit": manifest("in_transit"),
        "manifest_discrepancy": manifest("discrepancy"),
    }
    # A transfer into 瑞丽市 (served): its bureau (``bureau_other_county``) sees that
    # one manifest, and nothing else of this county (issue 18). No marker in it.
    regions.serve("533102")
    r = w.post("contractor", f"/cases/{cid}/manifests",
               {**w.manifest_data(100.0), "route": "章凤镇—瑞丽", "destination_county": "瑞丽市"})  # fmt: skip
    assert r.status_code == 201 and r.get_json()["destination_county_code"] == "533102"
    refs["manifest_incoming"] = r.get_json()["id"]
    w.file("contractor", cid, "works_notice", w.notice_data())
    r = w.client.post(
        f"/api/v1/cases/{cid}/filings",
        data={
            "kind": "progress_report",
            "data": '{"summary": "土方开挖完成 40%", "percent_complete": 40}',
            "files": [(io.BytesIO(pdf_bytes()), f"{MARKERS['document']}进展报告.pdf")],
        },
        headers=w.contractor.headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()["documents"][0]
    refs["document"], refs["document_sha"] = doc["id"], doc["sha256"]

    r = w.post("landholder", f"/cases/{cid}/assignments",
               {"role": "evaluator", "credit_code": w.evaluator.party.credit_code})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    r = w.post("env", f"/cases/{cid}/determinations",
               {"credit_code": responsible.credit_code, "basis": "polluter",
                "reason": f"{MARKERS['determination']} 历史排污记录"})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    refs["determination"] = r.get_json()["id"]

    tipoff, code = tipoff_service.create(
        township="章凤镇",
        location="迭撒村南河滩",
        description=f"{MARKERS['tipoff']} 夜间有车辆倾倒黑色废渣，气味刺鼻。",
        photos=[jpeg_bytes()],
    )
    tipoff = db.session.get(Tipoff, tipoff.id)
    refs.update(
        tipoff=tipoff.id,
        photo=tipoff.photos[0].sha256,
        tracking_code=code,
        party=responsible.id,
        responsible_code=responsible.credit_code,
        government_code=government.credit_code,
        surveyor_code=w.surveyor.party.credit_code,
        other_landholder_code=w.other_landholder.party.credit_code,
    )
    # §12: a suspected plot, and the responsible party listed as a key supervised unit.
    r = w.post("env", "/suspected-sites",
               {"name": f"{MARKERS['suspect']}原砖厂地块", "township": "章凤镇",
                "address": f"{MARKERS['suspect']}村", "former_industry": "砖瓦制造",
                "source": "inspection"})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    refs["suspect"] = r.get_json()["id"]
    r = w.post("env", "/key-units", {"credit_code": responsible.credit_code, "year": 2026,
                                     "industry": "有色金属冶炼"})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    # Issue 15: an expert pool and a panel drawn for a second plot under review.
    for i in range(3):
        r = w.post("env", "/experts", {"name": f"评审专家{i}", "specialities": ["soil"]})
        assert r.status_code == 201, r.get_json()
        refs["expert"] = r.get_json()["id"]
    second = w.to_state("survey_review", site=w.register(name="第二个评审中的地块"))
    r = w.post("env", f"/cases/{second}/panels", {"size": 3})
    assert r.status_code == 201, r.get_json()
    refs["panel"] = r.get_json()["id"]
    # Issue 21: a unit of cultivated land, classified safe use.
    from app.services import farmland as farmland_service

    unit = farmland_service.register(w.env.user, {
        "name": f"{MARKERS['farmland']}水田", "township": "章凤镇", "village": "迭撒村",
        "area_mu": 40, "land_use": "paddy", "crop": "水稻", "holder": "迭撒村村民委员会"})  # fmt: skip
    farmland_service.import_samples(w.env.user, unit, "s.csv",
                                    "点位编号,采样日期,pH,镉\nF1,2026-05-01,6.0,0.5\n".encode())  # fmt: skip
    farmland_service.confirm(w.env.user, unit, "safe_use")
    refs["farmland_unit"] = unit.id
    refs["user"] = make_user("landholder", make_party("受重置单位")).id  # for the admin's routes
    refs["notification"] = db.session.scalar(
        select(Notification.id).where(Notification.user_id == w.landholder.user.id).limit(1)
    )
    db.session.commit()
    return County(world=w, refs=refs)


__all__ = ["ACTOR_OF", "MARKERS", "PASSWORD", "ROLES", "County", "build", "jpeg_bytes", "pdf_bytes"]
