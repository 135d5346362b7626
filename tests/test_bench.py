"""The benchmark's own tooling: the seeder fills every state and a chain that verifies,
and one short in-process round of the benchmark runs. No timings are asserted."""

from __future__ import annotations

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
    # Decisions are numbered per kind and year without gaps, as services.decisions does.
    for row in db.session.scalars(select(DecisionSequence)):
        seqs = db.session.scalars(
            select(Decision.seq).where(Decision.kind == row.kind, Decision.year == row.year)
        ).all()
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
