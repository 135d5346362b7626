"""Factories and an API driver shared by the tests."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

from flask import current_app

from app.models import Party, User
from app.services import auth, clock, parties, workdays
from app.services.credit_codes import make_credit_code

PASSWORD = "correct-horse-9"
_counter = itertools.count(1)


@functools.cache
def _password_hash(method: str) -> str:
    # Hashing at scrypt N=2**17 costs ~0.3 s; do it once per test run.
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method=method)


def new_credit_code() -> str:
    n = next(_counter)
    return make_credit_code(f"91533124MA{n:07d}")


def make_party(name: str | None = None, kind: str = "enterprise") -> Party:
    code = new_credit_code()
    return parties.create_party(name=name or f"测试单位{code[-6:]}", credit_code=code, kind=kind)


def make_user(
    role: str, party: Party | None = None, department: str | None = None, username=None
) -> User:
    return auth.create_user(
        username or f"{role}{next(_counter)}",
        role=role,
        password=PASSWORD,
        party_code=party.credit_code if party else None,
        department=department,
        password_hash=_password_hash(current_app.config["PASSWORD_HASH_METHOD"]),
    )


def bearer(user: User) -> dict:
    token, _ = auth.issue_token(user)
    return {"Authorization": f"Bearer {token}"}


SITE = {
    "name": "原陇川铅锌冶炼厂地块",
    "township": "章凤镇",
    "address": "章凤镇迭撒路 88 号",
    "area_m2": 15230.5,
    "planned_use": "residential",
    "former_industry": "铅锌冶炼",
    "trigger": "use_change",
}


def transfer_start(offset_workdays: int = 0) -> str:
    notice = current_app.config["TRANSFER_NOTICE_WORKING_DAYS"]
    start = workdays.earliest_transfer_start(clock.today(), notice)
    return (
        workdays.add_workdays(start, offset_workdays).isoformat()
        if offset_workdays
        else (start.isoformat())
    )


@dataclass
class Actor:
    user: User
    headers: dict
    party: Party | None = None


@dataclass
class World:
    """Parties and users of one county, and a driver over the JSON API."""

    client: object
    actors: dict[str, Actor] = field(default_factory=dict)

    def __getattr__(self, name):
        actors = self.__dict__.get("actors", {})
        if name in actors:
            return actors[name]
        raise AttributeError(name)

    @classmethod
    def build(cls, client) -> World:
        w = cls(client=client)
        for key, role in [
            ("landholder", "landholder"),
            ("other_landholder", "landholder"),
            ("contractor", "contractor"),
            ("evaluator", "evaluator"),
            ("facility", "facility"),
            ("surveyor", "contractor"),
        ]:
            party = make_party(f"{key}单位")
            user = make_user(role, party)
            w.actors[key] = Actor(user, bearer(user), party)
        for key, dept in [("env", "environment"), ("nr", "natural_resources")]:
            user = make_user("bureau", department=dept)
            w.actors[key] = Actor(user, bearer(user))
        admin = make_user("admin")
        w.actors["admin"] = Actor(admin, bearer(admin))
        return w

    # ------------------------------------------------------------ API calls

    def post(self, who: str, url: str, payload=None, **kw):
        return self.client.post(
            f"/api/v1{url}", json=payload, headers=self.actors[who].headers, **kw
        )

    def get(self, who: str, url: str):
        return self.client.get(f"/api/v1{url}", headers=self.actors[who].headers)

    def case(self, case_id: int, who: str = "landholder") -> dict:
        r = self.get(who, f"/cases/{case_id}")
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def act(self, who: str, case_id: int, action: str, comment=None, expect=200) -> dict:
        version = self.case(case_id, who)["version"]
        body = {"version": version}
        if comment is not None:
            body["comment"] = comment
        r = self.post(who, f"/cases/{case_id}/actions/{action}", body)
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    def file(self, who: str, case_id: int, kind: str, data: dict, expect=201) -> dict:
        r = self.post(who, f"/cases/{case_id}/filings", {"kind": kind, "data": data})
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    # ------------------------------------------------------------ scenarios

    def register(self, who="landholder", **overrides) -> dict:
        r = self.post(who, "/sites", {**SITE, **overrides})
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def survey_data(self, lead_mg_kg: float = 650.0) -> dict:
        return {
            "unit_credit_code": self.surveyor.party.credit_code,
            "project_lead": "李调查",
            "conclusion": "铅超过第一类用地筛选值" if lead_mg_kg > 400 else "未超过筛选值",
            "samples": [
                {"point_id": "S1", "depth_m": 0.5, "pollutant": "铅", "value": lead_mg_kg,
                 "unit": "mg/kg"},
                {"point_id": "S1", "depth_m": 0.5, "pollutant": "镉", "value": 2.1,
                 "unit": "mg/kg"},
            ],
        }  # fmt: skip

    def risk_data(self, acceptable=False) -> dict:
        data = {
            "unit_credit_code": self.surveyor.party.credit_code,
            "project_lead": "王评估",
            "carcinogenic_risk_max": 3.2e-5 if not acceptable else 2e-7,
            "hazard_quotient_max": 2.4 if not acceptable else 0.3,
            "risk_acceptable": acceptable,
        }
        if not acceptable:
            data["targets"] = [{"pollutant": "铅", "target_mg_kg": 400}]
        return data

    def plan_data(self, offsite=True) -> dict:
        return {
            "contractor_credit_code": self.contractor.party.credit_code,
            "project_lead": "赵施工",
            "technology": "异位固化稳定化",
            "offsite_transfer": offsite,
            "volume_m3": 3200,
            "start_date": "2027-01-10",
            "end_date": "2027-06-30",
            "groundwater_measures": "设置监测井，施工期每月监测一次",
        }

    def notice_data(self) -> dict:
        return {
            "project_overview": "原冶炼厂地块铅污染土壤修复工程",
            "environmental_impacts": "施工扬尘、噪声、运输遗撒",
            "protective_measures": "全封闭大棚作业，车辆苫盖，出口洗车",
            "contact": "赵施工 0692-0000000",
            "start_date": "2027-01-10",
            "end_date": "2027-06-30",
        }

    def evaluation_data(self, passed=True) -> dict:
        return {
            "evaluator_credit_code": self.evaluator.party.credit_code,
            "project_lead": "孙评估",
            "passed": passed,
            "results": [
                {"pollutant": "铅", "value_mg_kg": 320 if passed else 480, "target_mg_kg": 400}
            ],
        }

    def manifest_data(self, quantity=120.0) -> dict:
        return {
            "quantity_t": quantity,
            "mode": "road",
            "route": "章凤镇—G320—芒市",
            "origin_address": SITE["address"],
            "destination_facility_credit_code": self.facility.party.credit_code,
            "destination_county": "芒市",
            "planned_start": transfer_start(),
            "planned_end": transfer_start(5),
            "final_disposal": "水泥窑协同处置",
        }

    def to_state(self, target: str, *, site=None) -> int:
        """Drive a new case through the API to ``target``; returns the case id."""
        reg = site or self.register()
        cid = reg["case"]["id"]
        path = [
            "survey_review", "risk_assessment", "risk_assessment_review", "listed",
            "plan_filing", "plan_review", "transfer_reporting", "works", "evaluation",
            "evaluation_review", "released",
        ]  # fmt: skip
        if target == "survey":
            return cid
        if target == "risk_control":
            self.to_state("listed", site=reg)
            self.act("env", cid, "require_control")
            return cid
        steps = {
            "survey_review": lambda: (
                self.file("landholder", cid, "survey_report", self.survey_data()),
                self.act("landholder", cid, "submit"),
            ),
            "risk_assessment": lambda: (
                self.act("nr", cid, "cosign"),
                self.act("env", cid, "approve"),
            ),
            "risk_assessment_review": lambda: (
                self.file("landholder", cid, "risk_assessment_report", self.risk_data()),
                self.act("landholder", cid, "submit"),
            ),
            "listed": lambda: (self.act("nr", cid, "cosign"), self.act("env", cid, "approve")),
            "plan_filing": lambda: self.act("env", cid, "require_remediation"),
            "plan_review": lambda: (
                self.file("landholder", cid, "remediation_plan", self.plan_data()),
                self.act("landholder", cid, "submit"),
            ),
            "transfer_reporting": lambda: self.act("env", cid, "approve"),
            "works": lambda: (
                self.post("contractor", f"/cases/{cid}/manifests", self.manifest_data()),
                self.act("contractor", cid, "submit"),
            ),
            "evaluation": lambda: self._finish_works(cid),
            "evaluation_review": lambda: (
                self.post(
                    "landholder",
                    f"/cases/{cid}/assignments",
                    {"role": "evaluator", "credit_code": self.evaluator.party.credit_code},
                ),
                self.file("evaluator", cid, "evaluation_report", self.evaluation_data()),
                self.act("evaluator", cid, "submit"),
            ),
            "released": lambda: (self.act("nr", cid, "cosign"), self.act("env", cid, "approve")),
        }
        for state in path:
            steps[state]()
            assert self.case(cid, "env")["state"] == state
            if state == target:
                return cid
        raise ValueError(target)

    def _finish_works(self, cid: int) -> None:
        self.file("contractor", cid, "works_notice", self.notice_data())
        for m in self.case(cid, "env")["manifests"]:
            r = self.post("contractor", f"/manifests/{m['id']}/dispatch", {"quantity_t": 120})
            assert r.status_code == 200, r.get_json()
            r = self.post("facility", f"/manifests/{m['id']}/receive", {"quantity_t": 118.5})
            assert r.status_code == 200, r.get_json()
        self.act("contractor", cid, "complete_works")
