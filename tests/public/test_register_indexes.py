"""The register read from indexes (issue 19) gives exactly what the plain queries
gave: search text through the term index equals ``LIKE`` over every public plot,
each page equals ``ORDER BY code OFFSET``, the terms follow a renamed plot, and the
desk's queue keeps its order read in two runs."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, or_, select

from app.models import Case, Deadline, Sample, Site, SiteTerm, User
from app.services import jurisdiction, search
from app.services.public import register
from bench.seed import seed_database


@pytest.fixture
def seeded(app, db):
    seed_database(240, samples_per_plot=4, events=0, counties=3, analyze=False)
    return db


def _like(q: str):
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(getattr(Site, f).ilike(pattern, escape="\\") for f in ("name", "address", "code")))


def _reference(f: register.Filters):
    """The register's query as it was before the indexes: join, filter, by code."""
    query = (
        select(Site.code)
        .join(Case, Case.id == Site.current_case_id)
        .where(Site.public_since.is_not(None))
    )
    if f.county:
        query = query.where(Site.county_code == f.county)
    if f.state:
        query = query.where(Case.state == f.state)
    if f.township:
        query = query.where(Site.township == f.township)
    if f.q:
        query = query.where(_like(f.q))
    if f.pollutant:
        query = query.where(
            select(Sample.id)
            .where(Sample.case_id == Case.id, Sample.pollutant_key == f.pollutant,
                   Sample.level.in_(register.EXCEEDING))
            .exists()
        )  # fmt: skip
    return query.order_by(Site.code)


def _queries(db, rng: random.Random) -> list[str]:
    texts = db.session.execute(select(Site.name, Site.address, Site.code)).all()
    out = ["", "-", "（", "地块", "zz", "不存在的词", "%", "_", "2026-", "-00"]
    for _ in range(120):
        text = rng.choice(rng.choice(texts))
        length = rng.randint(1, 6)
        at = rng.randrange(max(1, len(text) - length + 1))
        out.append(text[at : at + length])
    return [q.strip() for q in out if q.strip()]


def test_terms_cut_chinese_into_pairs_and_words_into_suffixes():
    assert search.terms("铅锌冶炼厂") == {"铅锌", "锌冶", "冶炼", "炼厂", "厂"}
    assert search.terms("A区 533102-0018") >= {"a", "区", "533102", "3102", "0018", "18", "8"}
    assert search.terms("ＡＢ１２") == {"ab12", "b12", "12", "2"}  # full width as ASCII
    assert search.query_terms("凤邦街道") == ["凤邦", "邦街", "街道"]
    assert search.query_terms("钢") == ["钢"] and search.query_terms("（）") == []
    # The index alone answers one word or one or two characters; longer text is checked.
    assert search.exact("钢铁") and search.exact("钢") and search.exact("2026")
    assert not search.exact("钢铁厂") and not search.exact("2026-0") and not search.exact("x" * 21)


def test_search_text_finds_exactly_what_like_finds(seeded):
    db = seeded
    rng = random.Random(19)
    for q in _queries(db, rng):
        f = register.Filters(q=" ".join(q.split()))
        want = db.session.scalars(_reference(f)).all()
        page = register.search(f, page=1, per_page=500)
        assert [r.site.code for r in page.items] == want, q
        assert page.total == len(want), q
    # Combined with the other filters, and over pages.
    county = db.session.scalar(select(Site.county_code).where(Site.public_since.is_not(None)))
    f = register.Filters(county=county, q="地块")
    want = db.session.scalars(_reference(f)).all()
    got = [r.site.code for p in range(1, 30) for r in register.search(f, page=p, per_page=7).items]
    assert got == want and want


def test_every_page_of_every_filter_equals_the_plain_query(seeded):
    db = seeded
    public = db.session.execute(
        select(Site.county_code, Site.township, Case.state)
        .join(Case, Case.id == Site.current_case_id)
        .where(Site.public_since.is_not(None))
    ).all()
    county, township, state = public[len(public) // 2]
    pollutant = db.session.scalar(
        select(Sample.pollutant_key).where(Sample.level.in_(register.EXCEEDING))
        .group_by(Sample.pollutant_key).order_by(func.count().desc()).limit(1)
    )  # fmt: skip
    combos = [
        register.Filters(),
        register.Filters(county=county),
        register.Filters(state=state),
        register.Filters(township=township),
        register.Filters(county=county, state=state),
        register.Filters(pollutant=pollutant),
        register.Filters(county=county, pollutant=pollutant),
        register.Filters(state=state, pollutant=pollutant, q="地块"),
    ]
    for f in combos:
        want = db.session.scalars(_reference(f)).all()
        assert want, f
        pages = register.search(f, page=1, per_page=9).pages
        for page in {1, 2, pages // 2 or 1, pages, pages + 1}:
            got = register.search(f, page=page, per_page=9)
            assert got.total == len(want), f
            assert [r.site.code for r in got.items] == want[(page - 1) * 9 : page * 9], (f, page)
            # Every row carries its own case (joined after the page was chosen).
            assert all(r.case.id == r.site.current_case_id for r in got.items)


def test_the_terms_follow_a_renamed_plot_and_a_rebuild_changes_nothing(seeded):
    db = seeded
    site = db.session.scalar(select(Site).where(Site.public_since.is_not(None)).limit(1))
    old_word = site.name[:2]
    site.name = "翡翠湖畔旧仓库地块"
    db.session.commit()
    found = register.search(register.Filters(q="湖畔旧仓")).items
    assert [r.site.id for r in found] == [site.id]
    kept = set(db.session.execute(select(SiteTerm.term, SiteTerm.site_id)).all())
    assert ("翡翠", site.id) in kept and all((t, site.id) in kept for t in search.site_terms(site))
    still = db.session.scalars(_reference(register.Filters(q=old_word))).all()
    got = [r.site.code for r in register.all_public(register.Filters(q=old_word))]
    assert got == still
    search.rebuild()
    assert set(db.session.execute(select(SiteTerm.term, SiteTerm.site_id)).all()) == kept


def _queue_reference(officer: User, stages) -> list[int]:
    """The desk queue's order as one sorted query (before issue 19)."""
    review = (
        (Deadline.case_id == Case.id) & Deadline.closed_on.is_(None) & (Deadline.kind == "review")
    )
    from app.extensions import db

    return db.session.scalars(
        select(Case.id)
        .join(Site, Site.id == Case.site_id)
        .where(jurisdiction.clause(officer, Site.county_code), Case.state.in_(stages))
        .outerjoin(Deadline, review)
        .order_by(Deadline.due.is_(None), Deadline.due, Case.state_since, Case.id)
    ).all()


def test_the_desk_queue_keeps_its_order_across_pages(seeded, app):
    from app.review.routes import WAITING_STATES, QueuePage, _queue_counts
    from bench.cli import targets

    db = seeded
    officer = db.session.scalar(select(User).where(User.username == targets()["officer"]))
    counties = jurisdiction.counties(officer)
    # Ties and disorder: waiting days out of id order, review clocks due the same day.
    rng = random.Random(5)
    for case in db.session.scalars(select(Case).where(Case.state.in_(WAITING_STATES))):
        case.state_since = case.state_since.replace(
            year=2025, month=rng.randint(1, 12), day=rng.randint(1, 28)
        )
    for deadline in db.session.scalars(select(Deadline).where(Deadline.kind == "review")):
        deadline.due = deadline.due.replace(year=2027, month=1, day=rng.choice((3, 17)))
    db.session.commit()
    counts = _queue_counts(counties)
    for stages in (list(WAITING_STATES), ["listed"], ["plan_review"]):
        want = _queue_reference(officer, stages)
        total = sum(counts.get(s, 0) for s in stages)
        assert total == len(want) and want, stages
        got = []
        with app.test_request_context("/review/"):
            for page in range(1, len(want) // 7 + 2):
                p = QueuePage(counties=counties, stages=stages, total=total, page=page,
                              per_page=7, error_out=False)  # fmt: skip
                got += [c.id for c in p.items]
        assert got == want, stages
