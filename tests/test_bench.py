"""The benchmark's own tooling: the seeder fills every state and a chain that verifies,
and one short in-process round of the benchmark runs. No timings are asserted."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

import workflows
from app.models import (
    Case,
    Decision,
    DecisionSequence,
    Filing,
    LedgerEvent,
    Manifest,
    Review,
    Sample,
    Site,
    User,
)
from app.services import auth, ledger
from app.services.ledger import canonical
from bench.cli import count_statements, targets
from bench.seed import seed_database


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_fills_every_state_and_the_chain_verifies(app, db):
    result = seed_database(50, samples_per_plot=8, events=1200, analyze=False)

    assert _count(db, Site) == 50
    states = set(db.session.scalars(select(Case.state).distinct()))
    assert states == set(workflows.STATES)
    assert _count(db, Sample) >= 50 * 8 * 0.9
    assert _count(db, Review) > 0 and _count(db, Manifest) > 0
    kinds = set(db.session.scalars(select(Filing.kind).distinct()))
    assert {"survey_report", "remediation_plan", "works_notice", "evaluation_report"} <= kinds

    events = _count(db, LedgerEvent)
    assert events == result["events"] >= 1000
    check = ledger.verify()
    assert check["ok"], check
    assert check["events"] == events and check["head"] == result["head"]
    # The register shows what the services would publish (§10 bookkeeping).
    for site in db.session.scalars(select(Site)):
        state = db.session.get(Case, site.current_case_id).state
        assert (site.public_since is not None) == (state in workflows.PUBLIC_STATES), state
        assert (site.cleared_category is not None) == (state == "released")
    # Decisions are numbered per county, kind and year without gaps, as services.decisions does.
    for row in db.session.scalars(select(DecisionSequence)):
        seqs = db.session.scalars(
            select(Decision.seq).where(Decision.county == row.county, Decision.kind == row.kind,
                                       Decision.year == row.year)
        ).all()  # fmt: skip
        assert sorted(seqs) == list(range(1, row.last + 1))
    assert _count(db, Decision) > 0
    # Statutory clocks as services.deadlines opens them: one open review per case in review.
    from app.models import Deadline

    for case in db.session.scalars(select(Case)):
        open_kinds = db.session.scalars(
            select(Deadline.kind).where(Deadline.case_id == case.id, Deadline.closed_on.is_(None))
        ).all()
        if case.state.endswith("_review"):
            assert open_kinds == ["review"], (case.state, open_kinds)
        if case.state in ("released", "listed"):
            assert open_kinds == [], (case.state, open_kinds)
        if case.state in ("survey", "risk_assessment", "plan_filing", "evaluation"):
            assert set(open_kinds) <= {"revision"}, (case.state, open_kinds)
        if case.state in ("risk_control", "works"):
            assert len(open_kinds) == 1, (case.state, open_kinds)
    # The seeded officer can log in with the documented password.
    officer = db.session.scalar(select(User).where(User.username == "env_officer"))
    assert auth.authenticate(officer.username, result["password"]).id == officer.id


def test_seed_spreads_plots_over_served_counties(app, db):
    from app.models import Deadline, Region
    from app.services import jurisdiction, regions

    result = seed_database(300, samples_per_plot=2, events=0, counties=6, analyze=False)

    home = app.config["COUNTY_CODE"]
    # The home county first, then the rest of its prefecture (德宏州 has five), then 昆明's.
    assert result["counties"][0] == home and len(result["counties"]) == 6
    assert set(result["counties"][:5]) == regions.counties_under("533100")
    served = set(db.session.scalars(select(Region.code).where(Region.served)))
    assert served == set(result["counties"])
    by_county = select(Site.county_code, func.count()).group_by(Site.county_code)
    plots = dict(db.session.execute(by_county).all())
    assert set(plots) == served and max(plots, key=plots.get) == home
    for site in db.session.scalars(select(Site)):
        assert site.code.startswith(f"{site.county_code}-")
        assert site.address.startswith(regions.name(site.county_code))
    # Every bureau officer has a region; one per department in each county, and the prefecture's.
    officers = db.session.execute(select(User.username, User.department, User.region_code)
                                  .where(User.role == "bureau")).all()  # fmt: skip
    assert all(o.region_code for o in officers)
    for code in served:
        departments = {o.department for o in officers if o.region_code == code}
        assert departments == {"environment", "natural_resources"}
    by_name = {o.username: o.region_code for o in officers}
    assert by_name["env_officer"] == by_name["nr_officer"] == home
    assert by_name["env_533100"] == "533100" and by_name["env_533103"] == "533103"
    # Reviews are taken by officers of the plot's county.
    for review in db.session.scalars(select(Review)):
        county = db.session.get(Case, review.case_id).site.county_code
        assert jurisdiction.covers(db.session.get(User, review.user_id), county)
    # Decision numbers: unique, each county's own prefix and sequence.
    decisions = db.session.execute(select(Decision.number, Decision.county, Site.county_code)
                                   .join(Case, Case.id == Decision.case_id)
                                   .join(Site, Site.id == Case.site_id)).all()  # fmt: skip
    assert len({d.number for d in decisions}) == len(decisions) > 0
    assert len({d.county for d in decisions}) > 1
    for d in decisions:
        assert d.county == d.county_code and d.number.startswith(regions.decision_prefix(d.county))
    prefixes = {regions.decision_prefix(c) for c in served}
    assert len(prefixes) == len(served) and {"陇环土", "芒环土", "瑞环土"} <= prefixes
    for deadline in db.session.scalars(select(Deadline)):
        assert deadline.county_code == db.session.get(Case, deadline.case_id).site.county_code
    # Transfers: from the plot's county; to it, to another seeded county, or outside.
    manifests = db.session.execute(select(Manifest, Site.county_code)
                               .join(Case, Case.id == Manifest.case_id)
                               .join(Site, Site.id == Case.site_id)).all()  # fmt: skip
    assert manifests
    kinds = Counter()
    for m, origin in manifests:
        assert m.origin_county_code == origin and m.number.startswith(f"ZY-{origin}-")
        assert m.destination_county == regions.name(m.destination_county_code)
        to = m.destination_county_code
        kinds["home" if to == origin else "served" if to in served else "outside"] += 1
        if to not in served:  # the first county of the province not seeded
            assert to == min(regions.counties_under("530000") - served)
    assert min(kinds["home"], kinds["served"]) > kinds["outside"] > 0, kinds


def test_seeded_counties_get_unique_decision_prefixes(app, db):
    from app.services import regions
    from bench import seed_counties

    # 富民县 and 富源县 would both number 富环土…: the later one takes its short name's.
    prefixes = seed_counties.serve(["533124", "530124", "530325"])

    assert prefixes == {"533124": "陇环土", "530124": "富环土", "530325": "富源环土"}
    assert regions.decision_prefix("530325") == "富源环土"
    assert {d.code for d in regions.served()} == {"533124", "530124", "530325"}


def test_samples_are_screened_like_the_service(app, db):
    from app.services import screening

    seed_database(15, samples_per_plot=10, events=0, analyze=False)
    for s in db.session.scalars(select(Sample).limit(200)):
        case = db.session.get(Case, s.case_id)
        pollutant = screening.pollutant_by_key(s.pollutant_key)
        background = (case.site.backgrounds or {}).get(s.pollutant_key)
        assert s.value_mg_kg == screening.to_mg_kg(s.value, s.unit)
        assert s.level == screening.level_for(
            pollutant, case.site.land_category, s.value_mg_kg, background
        )


def test_one_short_round_of_the_benchmark(app, db):
    seed_database(20, samples_per_plot=5, events=0, analyze=False)
    t = targets()
    assert t["plots"] == 20 and t["case_id"] and t["site_code"]

    counts = count_statements(t, repeat=1)

    assert counts["healthz"]["statements"] == 0
    for name, c in counts.items():
        assert c["status"] == 200, (name, c)
        assert c["statements"] < 40, (name, c)


def test_canonical_fast_path_gives_rfc8785_bytes():
    import rfc8785

    samples = [
        {"b": 1, "a": [None, True, "文本", "tab\there"], "é": {"z": "", "y": -(2**52)}},
        {"float": 5600.0, "tiny": 4.6e-05},  # floats go to rfc8785 itself
        {"emoji": "🙂", "\ue000": "private use"},  # non-BMP: key order differs in UTF-16
    ]
    for obj in samples:
        assert canonical(obj) == rfc8785.dumps(obj)


# ---------------------------------------------------------------- the mix (issue 19)

MIX_DATA = {
    "officer": "env_officer",
    "password": "pw",
    "plots": [
        ["533124-2020-00001", "533124", "章凤镇", "released", "章凤镇原铅锌冶炼厂地块（1）",
         "陇川县章凤镇迭撒路1号", ["lead"]],
        ["533124-2020-00002", "533124", "章凤镇", "works", "章凤镇原电镀厂地块（2）",
         "陇川县章凤镇团结路2号", []],
        ["533124-2020-00003", "533124", "城子镇", "listed", "城子镇原化工厂地块（3）",
         "陇川县城子镇建设路3号", ["arsenic", "lead"]],
        ["533103-2020-00004", "533103", "勐焕街道", "released", "勐焕街道原制糖厂地块（4）",
         "芒市勐焕街道民族路4号", ["cadmium"]],
    ]
    + [[f"533103-2021-{k:05d}", "533103", "勐焕街道", "released", f"勐焕街道原水泥厂地块（{k}）",
        f"芒市勐焕街道环城路{k}号", []] for k in range(5, 125)],
    "notice_codes": ["533124-2020-00002"],
    "case_ids": [11, 12, 13],
    "desk": {"queue": {"survey_review": 3, "listed": 40}, "open_deadlines": 120,
             "overdue_deadlines": 7},
}  # fmt: skip


def _query(path: str) -> dict:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(path).query))


def test_mix_words_and_pages():
    import random

    from bench import mix

    assert mix.words("章凤镇原铅锌冶炼厂地块（12）") == ["章凤镇", "铅锌冶炼", "铅锌"]
    assert mix.words("电镀厂地块") == ["电镀"]
    rng = random.Random(1)
    pages = [mix.draw_page(rng, 40) for _ in range(4000)]
    assert min(pages) == 1 and max(pages) <= 40
    assert 0.8 < sum(p <= 3 for p in pages) / len(pages) < 0.9  # most read pages 1-3
    assert sum(p > 3 for p in pages) > 300  # some go deeper
    assert {mix.draw_page(rng, 1) for _ in range(200)} == {1}
    assert {mix.draw_page(rng, 2) for _ in range(200)} == {1, 2}


def test_mix_draws_real_values_and_pages_that_exist(tmp_path):
    from bench import mix

    requests = mix.draw_requests(MIX_DATA, n=3000, seed=5)
    assert set(requests) == {*mix.CLASSES, mix.MIX}
    assert requests == mix.draw_requests(MIX_DATA, n=3000, seed=5)  # the same seed, the same run
    plots = [mix.Plot.from_row(r) for r in MIX_DATA["plots"]]
    codes = {p.code for p in plots}
    filters = {"county", "township", "state", "pollutant", "q"}
    for cls, base, per_default in (
        ("register", "/", 20),
        ("public_api", "/api/v1/public/sites", 20),
    ):
        unfiltered = 0
        for kind, xff, path in requests[cls]:
            assert kind == "-" and xff.startswith("10.")  # anonymous visitors
            assert path.split("?")[0] == base
            args = _query(path)
            f = {k: v for k, v in args.items() if k in filters}
            assert set(args) <= filters | {"page", "per_page"}
            unfiltered += not f
            # Brute force: a person's search finds something, and the page exists.
            total = sum(1 for p in plots if p.matches(f))
            assert total > 0, path
            per_page = int(args.get("per_page", per_default))
            assert 1 <= int(args.get("page", 1)) <= -(-total // per_page), path
        assert 0.45 < unfiltered / len(requests[cls]) < 0.55
    for _, _, path in requests["site_page"]:
        assert path.removeprefix("/sites/") in codes
    assert {p for _, _, p in requests["notice_pdf"]} == {"/sites/533124-2020-00002/notice.pdf"}
    assert {p for _, _, p in requests["case_api"]} == {f"/api/v1/cases/{i}" for i in (11, 12, 13)}
    desk = {p.split("?")[0] for _, _, p in requests["desk"]}
    assert desk == {"/review/", "/review/deadlines"}
    for _, _, path in requests["desk"]:
        args = _query(path)
        assert args.get("stage") in (None, "survey_review", "listed")
        if path.startswith("/review/deadlines") and args.get("overdue") == "1":
            assert int(args.get("page", 1)) == 1  # 7 overdue: one page of 50
    assert {a for a, _, _ in requests["desk"]} == {"session"}
    assert {a for a, _, _ in requests["case_api"]} == {"bearer"}
    # The combined set: every class, roughly in its share.
    kinds = Counter(
        "register" if p == "/" or p.startswith("/?") else
        "public_api" if p.startswith("/api/v1/public/") else
        "case_api" if p.startswith("/api/v1/cases/") else
        "notice_pdf" if p.endswith("/notice.pdf") else
        "desk" if p.startswith("/review/") else "site_page"
        for _, _, p in requests[mix.MIX]
    )  # fmt: skip
    for cls, share in mix.mix_shares(MIX_DATA).items():
        assert abs(kinds[cls] / 3000 - share) < 0.03, (cls, kinds)
    # The files bench/mix.lua reads: three tab-separated ASCII fields a line.
    files = mix.write_request_files(requests, tmp_path)
    lines = files["register"].read_text(encoding="ascii").splitlines()
    assert len(lines) == 3000 and all(len(line.split("\t")) == 3 for line in lines)


def test_mix_leaves_out_classes_without_data():
    from bench import mix

    data = {**MIX_DATA, "notice_codes": []}
    requests = mix.draw_requests(data, n=200)
    assert "notice_pdf" not in requests
    assert not any(p.endswith("/notice.pdf") for _, _, p in requests[mix.MIX])
    assert abs(sum(mix.mix_shares(data).values()) - 1) < 1e-9


def test_mix_data_agrees_with_the_register(app, db, client):
    from bench import mix
    from bench.mix_data import mix_data

    seed_database(60, samples_per_plot=6, events=0, analyze=False)
    data = mix_data()
    public = db.session.execute(select(Site.code).where(Site.public_since.is_not(None))).all()
    assert len(data["plots"]) == len(public) > 0
    assert data["notice_codes"] and data["case_ids"] and data["writer"]["surveyor_credit_code"]
    officer = db.session.scalar(select(User).where(User.username == data["officer"]))
    for case_id in data["case_ids"]:
        assert db.session.get(Case, case_id).site.county_code == officer.region_code
    requests = mix.draw_requests(data, n=40, seed=3)
    register = mix.Register([mix.Plot.from_row(r) for r in data["plots"]])
    filters = ("county", "township", "state", "pollutant", "q")
    for _, _, path in requests["public_api"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.get_json())
        args = _query(path)
        expected = register.count({k: v for k, v in args.items() if k in filters})
        assert r.get_json()["total"] == expected, path
        assert r.get_json()["items"], path  # never past the last page
    for _, _, path in requests["register"][:10] + requests["site_page"][:10]:
        assert client.get(path).status_code == 200, path


def test_a_seeded_database_has_its_plot_counts(app, db):
    """The seeder loads below the ORM; the kept counts (issue 19) equal a fresh count."""
    from app.services import counts
    from bench.seed import seed_database

    seed_database(300, samples_per_plot=2, counties=3, analyze=False)
    assert counts.verify()["ok"]
