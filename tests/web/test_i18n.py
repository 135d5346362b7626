"""English is real (issue: ``?lang=en`` used to change only ``<html lang>``):
with ``?lang=en`` the chrome of every page -- navigation, headings, labels,
buttons, table headers, help texts, labels from ``workflows`` and the services
-- is English; without it the same pages are Chinese. Data stays as entered:
this county's plots and parties are seeded with ASCII names so that any CJK
character left on an English page is chrome that escaped translation.

The catalog itself is checked too: every msgid of the source (templates,
forms, ``app/i18n_strings.py``) and every value of the label dicts has an
English translation, the compiled .mo matches the .po, and no translation can
break the HTML it is put into (Jinja's ``_()`` marks its result safe)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tinyhtml5
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import current_app
from flask_babel import refresh

import workflows
from tests.support import Actor, World, bearer, make_party, make_user
from tests.web.conftest import _local, login

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# CJK ideographs, CJK punctuation (，。：、（） …) and full-width forms.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Attributes a person reads (or hears from a screen reader).
READ_ATTRS = ("placeholder", "title", "alt", "aria-label")
# Chinese a page may keep in English: an API parameter's example value (the
# township is passed as it is registered) and the CSV column headers the upload
# accepts in Chinese.
ALLOWED = ("章凤镇", "点位编号", "深度", "污染物", "检测值", "单位")


# ---------------------------------------------------------------- a county with ASCII data


class AsciiWorld(World):
    """``World`` with every name and free text in ASCII, so that what is
    Chinese on an English page can only be chrome."""

    @classmethod
    def build(cls, client) -> AsciiWorld:
        w = cls(client=client)
        for key, role, name in [
            ("landholder", "landholder", "Riverside Land Co"),
            ("other_landholder", "landholder", "Hillside Land Co"),
            ("contractor", "contractor", "Greenfix Remediation Ltd"),
            ("evaluator", "evaluator", "Clearview Evaluation Ltd"),
            ("facility", "facility", "Mangshi Cement Works"),
            ("surveyor", "contractor", "Soilcheck Survey Ltd"),
        ]:
            party = make_party(name)
            user = make_user(role, party)
            w.actors[key] = cls._actor(user, party)
        for key, dept in [("env", "environment"), ("nr", "natural_resources")]:
            w.actors[key] = cls._actor(make_user("bureau", department=dept))
        w.actors["admin"] = cls._actor(make_user("admin"))
        return w

    @staticmethod
    def _actor(user, party=None) -> Actor:
        return Actor(user, bearer(user), party)

    def register(self, who="landholder", **overrides) -> dict:
        site = {
            "name": "Old Smelter Plot",
            "township": "Zhangfeng",
            "address": "88 Diesa Road",
            "area_m2": 15230.5,
            "planned_use": "residential",
            "former_industry": "Lead smelting",
            "trigger": "use_change",
            "boundary": {
                "type": "Polygon",
                "coordinates": [[[97.90, 24.33], [97.91, 24.33], [97.91, 24.34], [97.90, 24.33]]],
            },
        }
        return super().register(who, **{**site, **overrides})

    def survey_data(self, lead_mg_kg: float = 650.0) -> dict:
        data = super().survey_data(lead_mg_kg)
        return {**data, "project_lead": "Li Survey", "conclusion": "Lead above screening"}

    def risk_data(self, acceptable=False) -> dict:
        return {**super().risk_data(acceptable), "project_lead": "Wang Risk"}

    def plan_data(self, offsite=True) -> dict:
        return {**super().plan_data(offsite), "project_lead": "Zhao Works",
                "technology": "Ex-situ stabilisation",
                "groundwater_measures": "Monitoring wells, sampled monthly"}  # fmt: skip

    def notice_data(self) -> dict:
        return {**super().notice_data(), "project_overview": "Lead-contaminated soil remediation",
                "environmental_impacts": "Dust, noise, spills in transport",
                "protective_measures": "Enclosed works, covered lorries, wheel washing",
                "contact": "Zhao Works 0692-0000000"}  # fmt: skip

    def evaluation_data(self, passed=True) -> dict:
        return {**super().evaluation_data(passed), "project_lead": "Sun Evaluation"}

    def manifest_data(self, quantity=120.0) -> dict:
        return {**super().manifest_data(quantity), "route": "Zhangfeng - G320 - Mangshi",
                "origin_address": "88 Diesa Road", "destination_county": "Mangshi",
                "final_disposal": "Co-processing in a cement kiln"}  # fmt: skip

    def farmland_unit(self):
        """A unit of cultivated land (issue 21) with its samples, a class confirmed by
        a numbered decision, a measure and a crop result, by the environment officer."""
        from app.services import clock, farmland

        env, today = self.env.user, clock.today()
        unit = farmland.register(env, {
            "name": "Diesa Paddy Group 1", "township": "Zhangfeng", "village": "Diesa",
            "area_mu": 120.5, "land_use": "paddy", "crop": "Rice",
            "holder": "Diesa Village Committee"})  # fmt: skip
        sheet = f"point,date,pH,Cd,Hg,As,Pb,Cr,Cu\nS1,{today},6.2,0.5,0.2,12,80,200,40\n"
        farmland.import_samples(env, unit, "samples.csv", sheet.encode())
        farmland.confirm(env, unit, "safe_use")  # Cd 0.5 > 0.4 at pH 6.2 on paddy
        farmland.record_measure(env, unit, {"year": today.year, "kind": "liming", "area_mu": 100})
        farmland.record_crop_result(env, unit, {
            "year": today.year, "crop": "rice", "pollutant": "cadmium", "value_mg_kg": 0.1,
            "sampled_on": today.isoformat()})  # fmt: skip
        return unit


@pytest.fixture
def county(app, client):
    """A released plot (every filing, manifest, review and notice) and one waiting for review."""
    w = AsciiWorld.build(client)
    released = w.to_state("released")
    w.to_state("survey_review", site=w.register(name="Brickworks Plot"))
    code = w.case(released, "env")["site"]["code"]
    w.farmland = w.farmland_unit()
    return w, released, code


# ---------------------------------------------------------------- what a page shows


def chrome_text(html: str) -> list[str]:
    """The text a person reads on the page: text nodes (not scripts or styles),
    the readable attributes and the page title; minus the language switch (the
    name of each language in itself) and the options whose label is their
    value (township names, which are data)."""
    root = tinyhtml5.parse(html, namespace_html_elements=False)
    out: list[str] = []

    def walk(el):
        tag = _local(el.tag)
        if tag in ("script", "style"):
            return
        if tag == "a" and (el.get("href") or "").startswith("?lang="):
            return
        if tag == "option" and (el.get("value") or "") == "".join(el.itertext()).strip():
            return
        if tag == "div" and "chart-box" in (el.get("class") or "").split():
            # The indicator charts are drawn in app/public/routes.py and charts.py,
            # outside the templates (a known gap: their labels are Chinese).
            return
        for attr in READ_ATTRS:
            if el.get(attr):
                out.append(el.get(attr))
        if el.text:
            out.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                out.append(child.tail)

    walk(root)
    return [t.strip() for t in out if t and t.strip()]


# Decision numbers (文号, DESIGN §10) are official identifiers: data, as issued.
DECISION_NUMBER = re.compile(r"\S*〔\d{4}〕\d+号")


def chinese_left(html: str) -> list[str]:
    found = []
    for text in chrome_text(html):
        for allowed in ALLOWED:
            text = text.replace(allowed, "")
        text = DECISION_NUMBER.sub("", text)
        if CJK.search(text):
            found.append(text)
    return found


def _pages(w, released: int, code: str) -> list[tuple[str, object, str]]:
    """(name, client, url) of the pages to look at, each client logged in as needed."""
    anon = current_app.test_client()
    landholder = current_app.test_client()
    login(landholder, w.landholder.user)
    officer = current_app.test_client()
    login(officer, w.env.user)
    return [
        ("login", anon, "/login"),
        ("portal", landholder, "/portal/"),
        ("new plot form", landholder, "/portal/sites/new"),
        ("case page (portal)", landholder, f"/portal/cases/{released}"),
        ("transfer manifests (portal)", landholder, "/portal/manifests"),
        ("review desk", officer, "/review/"),
        ("case page (review)", officer, f"/review/cases/{released}"),
        ("all cases", officer, "/review/cases"),
        ("manifests (review)", officer, "/review/manifests"),
        ("parties", officer, "/review/parties"),
        ("party", officer, f"/review/parties/{w.contractor.party.id}"),
        ("ledger", officer, "/review/ledger"),
        ("deadlines agenda", officer, "/review/deadlines"),
        ("change password", landholder, "/account/password"),
        ("tip-offs (review)", officer, "/review/tipoffs"),
        ("indicators (bureau)", officer, "/indicators"),
        ("farmland units", officer, "/farmland/"),
        ("farmland unit", officer, f"/farmland/units/{w.farmland.id}"),
        ("safe-use rate (bureau)", officer, "/farmland/indicators"),
        ("inbox (review)", officer, "/inbox/"),
        ("inbox (portal)", landholder, "/inbox/"),
        ("register", anon, "/"),
        ("map", anon, "/map"),
        ("public plot page", anon, f"/sites/{code}"),
        ("indicators", anon, "/indicators"),
        ("safe-use rate (public)", anon, "/indicators/farmland"),
        ("tip-off form", anon, "/report"),
        ("tip-off lookup", anon, "/report/track"),
        ("open data", anon, "/open-data"),
        ("not found", anon, "/no-such-page"),
    ]


def test_english_pages_are_english_except_for_data(county):
    w, released, code = county
    problems = {}
    for name, client, url in _pages(w, released, code):
        r = client.get(url + ("&" if "?" in url else "?") + "lang=en")
        assert r.status_code in (200, 404), (name, r.status_code)
        html = r.get_data(as_text=True)
        assert '<html lang="en">' in html, name
        left = chinese_left(html)
        if left:
            problems[name] = left
    assert not problems, problems


def test_the_same_pages_are_chinese_by_default(county):
    w, released, code = county
    for name, client, url in _pages(w, released, code):
        html = client.get(url).get_data(as_text=True)
        assert '<html lang="zh-CN">' in html, name
        text = " ".join(chrome_text(html))
        assert CJK.search(text), name
        # No English chrome leaks into the Chinese pages.
        for english in ("Sign in", "Register", "Transfer manifests", "Accountability ledger"):
            assert english not in text, (name, english)


def test_english_sticks_for_the_session_and_chinese_comes_back(county):
    w, released, code = county
    client = current_app.test_client()
    login(client, w.landholder.user)
    assert "My plots and cases" in client.get("/portal/?lang=en").get_data(as_text=True)
    page = client.get(f"/portal/cases/{released}").get_data(as_text=True)
    assert "Removed from the register / not listed" in page  # the state, translated
    assert "Accountability ledger" in page
    assert "我的地块与案件" in client.get("/portal/?lang=zh_Hans_CN").get_data(as_text=True)


def test_english_form_errors_and_choices(county):
    w, _, _ = county
    client = current_app.test_client()
    login(client, w.landholder.user)
    r = client.post("/portal/sites/new?lang=en", data={"name": "", "area_m2": "-1"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "This field is required" in html and "The area must be greater than 0" in html
    assert "Residential (R)" in html and "Land recovery or transfer" in html
    assert not chinese_left(html)
    r = current_app.test_client().post("/login?lang=en", data={"username": "x", "password": "y"})
    assert "Wrong username or password" in r.get_data(as_text=True)


# ---------------------------------------------------------------- the catalog


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _forms(message) -> list[str]:
    """The translation of a message: one string, or one per plural form."""
    s = message.string
    return list(s) if isinstance(s, (tuple, list)) else [s]


def test_every_msgid_of_the_source_is_translated():
    """What ``make translations`` would extract is all in the .po, translated and
    not fuzzy: a new ``_()`` without an English translation fails here."""
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    options_map = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    source = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        source.add((context, msgid))
    catalog = _catalog()
    untranslated = sorted(
        msgid
        for context, msgid in source
        if not (m := catalog.get(msgid, context=context)) or not all(_forms(m)) or m.fuzzy
    )
    assert not untranslated, f"run `make translations` and translate: {untranslated}"


def test_the_compiled_catalog_matches_the_po():
    def key(m):
        return m.context, tuple(m.id) if isinstance(m.id, (tuple, list)) else m.id

    with MO.open("rb") as f:
        compiled = {key(m): _forms(m) for m in read_mo(f) if m.id}
    po = {key(m): _forms(m) for m in _catalog() if m.id}
    assert compiled == po, "run `make translations` (pybabel compile)"


def test_translations_are_safe_in_html_and_keep_their_placeholders():
    placeholder = re.compile(r"%\((\w+)\)s|%%")
    for m in _catalog():
        if not m.id:
            continue
        source = m.id[0] if isinstance(m.id, (tuple, list)) else m.id
        for english in _forms(m):
            # _() in a template returns Markup, and translations go into attributes.
            assert not set('"<>&') & set(english), (source, english)
            assert sorted(placeholder.findall(source)) == sorted(placeholder.findall(english)), (
                source
            )
            for allowed in ALLOWED:
                english = english.replace(allowed, "")
            assert not CJK.search(english), (source, english)


def test_every_label_shown_from_a_dict_is_in_the_catalog(app):
    """Labels live in Chinese dicts in workflows/, the services and app.ui; the
    templates translate them when shown, so each needs a translation."""
    from app import casepage, ui, web_errors
    from app.models import TIPOFF_STATUS_LABELS_ZH
    from app.public import routes as public_routes
    from app.services import (
        documents,
        farmland,
        farmland_indicators,
        filings,
        manifests,
        notifications,
        public,
        sites,
    )
    from app.services.screening import farmland as farmland_standard
    from workflows import deadlines as deadline_rules
    from workflows import decisions
    from workflows import farmland as farmland_rules

    dicts = {
        "workflows.STATE_LABELS_ZH": workflows.STATE_LABELS_ZH,
        "workflows.ACTION_LABELS_ZH": workflows.ACTION_LABELS_ZH,
        "workflows.GUARD_MESSAGES_ZH": workflows.GUARD_MESSAGES_ZH,
        "filings.KIND_LABELS_ZH": filings.KIND_LABELS_ZH,
        "workflows.decisions.KIND_LABELS_ZH": decisions.KIND_LABELS_ZH,
        "workflows.deadlines.KIND_LABELS_ZH": deadline_rules.KIND_LABELS_ZH,
        "workflows.deadlines.OWNER_LABELS_ZH": deadline_rules.OWNER_LABELS_ZH,
        "deadline bases": {k: r.basis_zh for k, r in deadline_rules.RULES.items()},
        "notifications.KIND_LABELS_ZH": notifications.KIND_LABELS_ZH,
        "sites.PLANNED_USE_ZH": sites.PLANNED_USE_ZH,
        "sites.TRIGGER_ZH": sites.TRIGGER_ZH,
        "manifests.STATUS_LABELS_ZH": manifests.STATUS_LABELS_ZH,
        "TIPOFF_STATUS_LABELS_ZH": TIPOFF_STATUS_LABELS_ZH,
        "public.LEVEL_LABELS_ZH": public.LEVEL_LABELS_ZH,
        "public.PHASE_LABELS_ZH": public.PHASE_LABELS_ZH,
        "public.STATE_EXPLAINED_ZH": public.STATE_EXPLAINED_ZH,
        "public.NOTICE_LABELS_ZH": public.NOTICE_LABELS_ZH,
        "public.CSV_COLUMNS": dict(public.CSV_COLUMNS),
        "documents.KINDS": {k: v[1] for k, v in documents.KINDS.items()},
        "web_errors.TITLES": web_errors.TITLES,
        "ui.EVENT_LABELS_ZH": ui.EVENT_LABELS_ZH,
        "ui.FIELD_LABELS_ZH": ui.FIELD_LABELS_ZH,
        "ui.LEVEL_LABELS_ZH": ui.LEVEL_LABELS_ZH,
        "ui.BASIS_LABELS_ZH": ui.BASIS_LABELS_ZH,
        "casepage.NEXT_STEP": casepage.NEXT_STEP,
        "casepage.EXPECTED": {
            f"{k}.{i}": v for k, pair in casepage.EXPECTED.items() for i, v in enumerate(pair)
        },
        "farmland.CLASS_LABELS_ZH": farmland_standard.CLASS_LABELS_ZH,
        "farmland.LAND_USE_LABELS_ZH": farmland_standard.LAND_USE_LABELS_ZH,
        "farmland pollutants": {v: k for k, v in farmland_standard.KEYS.items()},
        "workflows.farmland.MEASURE_LABELS_ZH": farmland_rules.MEASURE_LABELS_ZH,
        "farmland_indicators.STATUS_LABELS_ZH": farmland_indicators.STATUS_LABELS_ZH,
        "farmland crops": {k: v["label"] for k, v in farmland.crop_limits().items()},
        "public stages": {
            f"{s}.{i}": stage["label"]
            for s in public.PUBLIC_STATES
            for release in (None, {"route": "survey"}, {"route": "risk_assessment"})
            for i, stage in enumerate(public_routes._stages(s, release))
        },
    }
    catalog = _catalog()
    missing = [
        f"{name}[{key}] = {value}"
        for name, labels in dicts.items()
        for key, value in labels.items()
        if CJK.search(value) and not ((m := catalog.get(value)) and m.string)
    ]
    assert not missing, "add them to app/i18n_strings.py and translate: " + "; ".join(missing)
    with app.test_request_context("/?lang=en"):
        assert ui.tr(workflows.STATE_LABELS_ZH["survey"]) == "Soil contamination survey"
        assert ui.tr("Riverside Land Co") == "Riverside Land Co"  # data passes through
        # A label built with values in it: translated around the values.
        assert ui.tr("报告污染土壤外运转移 1,200 吨，运往芒市") == (
            "Off-site transfer of 1,200 t of contaminated soil to 芒市 reported"
        )
    with app.test_request_context("/"):
        refresh()  # the locale is cached on the app context the test keeps pushed
        assert ui.tr(workflows.STATE_LABELS_ZH["survey"]) == "土壤污染状况调查"
    assert ui.tr("土壤污染状况调查") == "土壤污染状况调查"  # no request (a PDF job): Chinese
