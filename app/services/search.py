"""Search text on the register through an index made for Chinese (issue 19).

A reader types a part of a plot's name, address or code ("钢铁", "凤邦街道",
"2026-000"). Counting ``LIKE '%…%'`` over every public plot took half a second at
100,000 plots. Neither ready-made index fits: PostgreSQL's ``pg_trgm`` and SQLite's
FTS5 trigram tokenizer need three characters to use the index, and most Chinese
words are two; FTS5's ``unicode61`` does not split Chinese at all. So each plot's
text is cut into terms the way CJK search engines do (Lucene's CJK bigrams) and
kept in ``site_terms`` (term, plot), on both databases alike:

- a run of Chinese characters gives every pair of neighbours, and its last
  character alone ("铅锌冶炼" → 铅锌 锌冶 冶炼 炼), so one character is found as the
  beginning of a term;
- any other run of letters or digits gives each of its suffixes, lower-cased
  ("00018" → 00018 0018 018 18 8), so any part of a code or word is the
  beginning of a term.

A search asks, for each of its own terms, the plots with a term beginning with it
(an index range), keeps the plots that have them all, then checks the text itself
(``LIKE``) on those few: the answer is exactly ``LIKE``'s, found from the index.
Terms are written in the flush that writes the plot (:func:`_keep`); ``rebuild()``
indexes afresh after a bulk load.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import and_, delete, event, exists, func, insert, inspect, intersect, or_, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Site, SiteTerm

MAX_TERM = 20  # SiteTerm.term's length
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
TEXT_FIELDS = ("name", "address", "code")


def normalized(text: str) -> str:
    """Full-width letters and digits as ASCII, lower case (as a reader may type them)."""
    return unicodedata.normalize("NFKC", text or "").lower()


def terms(text: str) -> set[str]:
    """The terms a text is indexed under."""
    out: set[str] = set()
    for cjk, word in _RUNS.findall(normalized(text)):
        if cjk:
            out.update(cjk[i : i + 2] for i in range(len(cjk) - 1))
            out.add(cjk[-1])
        else:
            out.update(word[i:][:MAX_TERM] for i in range(len(word)))
    return out


def site_terms(site: Site) -> set[str]:
    found: set[str] = set()
    for name in TEXT_FIELDS:
        found |= terms(getattr(site, name) or "")
    return found


def query_terms(q: str) -> list[str]:
    """What a search for ``q`` looks up, each term matched as the beginning of an
    indexed one: a Chinese run's pairs (one character alone when it is one), a
    word's beginning (at most the indexed length)."""
    out: list[str] = []
    for cjk, word in _RUNS.findall(normalized(q)):
        if cjk:
            pairs = [cjk[i : i + 2] for i in range(len(cjk) - 1)] or [cjk]
            out.extend(pairs)
        else:
            out.append(word[:MAX_TERM])
    return list(dict.fromkeys(out))


def _after(prefix: str) -> str:
    """The smallest string greater than every string beginning with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def candidates(q: str):
    """A select of the ids of plots holding every term of ``q`` (None when ``q``
    has no term to look up: punctuation alone is left to ``LIKE``)."""
    wanted = query_terms(q)
    if not wanted:
        return None
    selects = [
        select(SiteTerm.site_id).where(SiteTerm.term >= t, SiteTerm.term < _after(t))
        for t in wanted
    ]
    return selects[0] if len(selects) == 1 else intersect(*selects)


def like(q: str):
    """The exact condition: ``q`` appears in the name, address or code."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(getattr(Site, f).ilike(pattern, escape="\\") for f in TEXT_FIELDS))


def exact(q: str) -> bool:
    """Whether the index alone answers a search for ``q``: one word, or one or two
    Chinese characters (a plot holds that term if and only if its text holds ``q``);
    anything longer is checked with ``LIKE`` (its pairs may lie apart)."""
    runs = _RUNS.findall(normalized(q))
    if len(runs) != 1 or "".join(runs[0]) != normalized(q):
        return False
    cjk, word = runs[0]
    return len(cjk) <= 2 if cjk else len(word) <= MAX_TERM


def condition(q: str):
    """The WHERE clause for a search: the index narrows, ``LIKE`` decides."""
    ids = candidates(q)
    if ids is None:
        return like(q)
    if exact(q):
        return Site.id.in_(ids)
    return and_(Site.id.in_(ids), like(q))


# ---------------------------------------------------------------- upkeep


def _text_changed(site: Site) -> bool:
    state = inspect(site)
    return any(state.attrs[f].history.has_changes() for f in TEXT_FIELDS)


@event.listens_for(Session, "after_flush")
def _keep(session: Session, _context) -> None:
    """Index the plots this flush wrote (new ones have their id now)."""
    changed = [o for o in session.new if isinstance(o, Site)]
    changed += [o for o in session.dirty if isinstance(o, Site) and _text_changed(o)]
    gone = [o.id for o in session.deleted if isinstance(o, Site)]
    if not changed and not gone:
        return
    ids = [s.id for s in changed] + gone
    session.execute(delete(SiteTerm).where(SiteTerm.site_id.in_(ids)))
    rows = [{"term": t, "site_id": s.id} for s in changed for t in sorted(site_terms(s))]
    if rows:
        session.execute(insert(SiteTerm), rows)


def _cut(batch: int):
    """Every plot's terms cut afresh, ``batch`` plots at a time: [(plot id, terms)]."""
    last = 0
    columns = [getattr(Site, f) for f in TEXT_FIELDS]
    while True:
        rows = db.session.execute(
            select(Site.id, *columns).where(Site.id > last).order_by(Site.id).limit(batch)
        ).all()
        if not rows:
            return
        yield [(site_id, set().union(*(terms(t or "") for t in texts))) for site_id, *texts in rows]
        last = rows[-1][0]


def rebuild(batch: int = 5000) -> int:
    """Index every plot afresh (after a load that bypassed the ORM). Commits;
    returns the number of terms."""
    db.session.execute(delete(SiteTerm))
    total = 0
    for cut in _cut(batch):
        out = [{"term": t, "site_id": site_id} for site_id, found in cut for t in sorted(found)]
        if out:
            db.session.execute(insert(SiteTerm), out)
        total += len(out)
    db.session.commit()
    return total


def verify(batch: int = 2000) -> dict:
    """The kept terms against terms cut afresh from every plot:
    ``{"ok", "sites", "orphans", "differences": [plot ids, at most 20]}``."""
    differences: list[int] = []
    checked = 0
    for cut in _cut(batch):
        kept: dict[int, set[str]] = {}
        for term, site_id in db.session.execute(
            select(SiteTerm.term, SiteTerm.site_id).where(
                SiteTerm.site_id.in_([site_id for site_id, _ in cut])
            )
        ):
            kept.setdefault(site_id, set()).add(term)
        differences += [site_id for site_id, want in cut if kept.get(site_id, set()) != want]
        checked += len(cut)
    orphans = db.session.scalar(
        select(func.count())
        .select_from(SiteTerm)
        .where(~exists().where(Site.id == SiteTerm.site_id))
    )
    return {"ok": not differences and not orphans, "sites": checked, "orphans": orphans,
            "differences": differences[:20]}  # fmt: skip
