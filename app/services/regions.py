"""Administrative divisions (GB/T 2260) as data: which counties there are, which
this deployment serves, and what lies under a prefecture or province.

The table is small (about 3,200 rows) and changes only by migration or the
``flask regions`` commands, so each process keeps a copy and reloads it when
it meets a code it does not know or when its copy is older than a minute: a
jurisdiction check costs no query per request.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.errors import ValidationError
from app.extensions import db
from app.models import Region

CODE = re.compile(r"^[1-9]\d{5}$")
LEVEL_LABELS_ZH = {"province": "省级", "prefecture": "州市级", "county": "县级"}
MAX_AGE_S = 60.0


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str | None
    short: str
    decision_prefix: str | None
    served: bool


class _Table:
    """One process's copy of the regions table."""

    def __init__(self):
        self.lock = threading.Lock()
        self.loaded_at = 0.0
        self.by_code: dict[str, Division] = {}
        self.children: dict[str, list[str]] = {}
        self.served: list[Division] = []
        self.served_codes: frozenset[str] = frozenset()
        self.engine_id = None

    def fresh(self) -> _Table:
        engine = db.engine
        if self.engine_id != id(engine) or time.monotonic() - self.loaded_at > MAX_AGE_S:
            self.load()
        return self

    def load(self) -> None:
        rows = db.session.execute(
            select(
                Region.code,
                Region.name,
                Region.level,
                Region.parent_code,
                Region.short,
                Region.decision_prefix,
                Region.served,
            )  # fmt: skip
        ).all()
        by_code = {r.code: Division(*r) for r in rows}
        children: dict[str, list[str]] = {}
        for d in by_code.values():
            if d.parent_code:
                children.setdefault(d.parent_code, []).append(d.code)
        served = sorted((d for d in by_code.values() if d.served and d.level == "county"),
                        key=lambda d: d.code)  # fmt: skip
        with self.lock:
            self.by_code, self.children, self.served = by_code, children, served
            self.served_codes = frozenset(d.code for d in served)
            self.loaded_at = time.monotonic()
            self.engine_id = id(db.engine)


_table = _Table()


def forget() -> None:
    """Drop this process's copy (after a change, and between tests)."""
    _table.loaded_at = 0.0


def get(code: str | None) -> Division | None:
    if not code:
        return None
    table = _table.fresh()
    found = table.by_code.get(code)
    if found is None and CODE.match(str(code)) and time.monotonic() - table.loaded_at > 1:
        table.load()  # added by another process since
        found = table.by_code.get(code)
    return found


def name(code: str | None) -> str:
    """The division's name (陇川县), or the code itself when it is not known."""
    found = get(code)
    return found.name if found else (code or "")


def counties_under(code: str) -> frozenset[str]:
    """The county codes at or below ``code`` (a county: itself)."""
    table = _table.fresh()
    top = table.by_code.get(code)
    if top is None:
        return frozenset()
    if top.level == "county":
        return frozenset({code})
    out, todo = set(), [code]
    while todo:
        for child in table.children.get(todo.pop(), ()):
            if table.by_code[child].level == "county":
                out.add(child)
            else:
                todo.append(child)
    return frozenset(out)


def ancestors(code: str) -> list[str]:
    """The county's prefecture and province codes (nearest first)."""
    out, found = [], get(code)
    while found is not None and found.parent_code:
        out.append(found.parent_code)
        found = get(found.parent_code)
    return out


def served() -> list[Division]:
    """The counties this deployment serves, in code order."""
    return list(_table.fresh().served)


def served_codes() -> frozenset[str]:
    return _table.fresh().served_codes


def home() -> str:
    """The deployment's default county (``COUNTY_CODE``)."""
    return current_app.config["COUNTY_CODE"]


def area() -> Division | None:
    """The smallest division holding every served county (the county itself for a
    one-county deployment, the prefecture or province otherwise)."""
    codes = [d.code for d in served()] or [home()]
    chains = [[c, *ancestors(c)] for c in codes]
    for candidate in chains[0]:
        if all(candidate in chain for chain in chains):
            return get(candidate)
    return get(codes[0])


def area_name() -> str:
    """The deployment's name for its pages (COUNTY_NAME if the table cannot be read,
    e.g. on an error page while the database is down)."""
    try:
        found = area()
    except SQLAlchemyError:
        db.session.rollback()
        found = None
    return found.name if found else current_app.config["COUNTY_NAME"]


def decision_prefix(code: str) -> str:
    """陇环土: ``DECISION_PREFIX`` for the deployment's county when set, else the
    region's own prefix (``regions serve --prefix``, or made unique when served),
    else the first character of its short name + 环土."""
    if code == home() and current_app.config.get("DECISION_PREFIX"):
        return current_app.config["DECISION_PREFIX"]
    found = get(code)
    if found is None:
        return "环土"
    return found.decision_prefix or f"{found.short[:1]}环土"


def county_code(value, *, field: str = "county", served_only: bool = True) -> str:
    """A county's code from its code or its name (unique among counties, served
    ones first); ValidationError otherwise."""
    text = str(value or "").strip()
    found = get(text) if CODE.match(text) else None
    if found is None and text and not CODE.match(text):
        found = by_name(text)
    if found is None or found.level != "county":
        msg = f"{text or '（空）'} 不是已登记的县级行政区划代码或名称"
        raise ValidationError(msg, {field: msg})
    if served_only and not found.served:
        msg = f"{found.name}（{found.code}）不在本平台服务范围内"
        raise ValidationError(msg, {field: msg})
    return found.code


def by_name(text: str, *, levels=("county",)) -> Division | None:
    """The one division of that name (served counties, then the home province, then
    anywhere); None when there is none or several."""
    table = _table.fresh()
    same = [d for d in table.by_code.values() if d.name == text and d.level in levels]
    province = home()[:2]
    for pool in ([d for d in same if d.served], [d for d in same if d.code[:2] == province], same):
        if len(pool) == 1:
            return pool[0]
    return None


# ---------------------------------------------------------------- changes (CLI)


def add(code: str, name_: str, *, parent: str | None, level: str = "county",
        short: str | None = None) -> Region:  # fmt: skip
    """Register a division the shipped list lacks (a new county). Commits."""
    errors = {}
    if not CODE.match(code or ""):
        errors["code"] = "须为 6 位 GB/T 2260 行政区划代码"
    elif db.session.get(Region, code) is not None:
        errors["code"] = f"{code} 已存在"
    if not name_ or len(name_) > 60:
        errors["name"] = "须填写名称（不超过 60 字）"
    if level not in ("province", "prefecture", "county"):
        errors["level"] = "须为 province、prefecture 或 county"
    if level != "province" and (not parent or db.session.get(Region, parent) is None):
        errors["parent"] = "须为已登记的上级行政区划代码"
    if errors:
        raise ValidationError("行政区划信息有误", errors)
    region = Region(code=code, name=name_, level=level, parent_code=parent if level != "province" else None,
                    short=short or name_[:2], served=False)  # fmt: skip
    db.session.add(region)
    db.session.commit()
    forget()
    return region


def serve(code: str, *, on: bool = True, prefix: str | None = None) -> list[str]:
    """Serve (or stop serving) a county, or every county under a prefecture or
    province. Commits; returns the county codes changed."""
    found = get(code)
    if found is None:
        raise ValidationError(f"{code} 不是已登记的行政区划", {"code": "未登记"})
    codes = sorted(counties_under(code))
    db.session.execute(update(Region).where(Region.code.in_(codes)).values(served=on))
    if prefix is not None:
        db.session.execute(
            update(Region).where(Region.code == code).values(decision_prefix=prefix or None)
        )
    db.session.flush()
    forget()
    if on:
        _fix_prefixes(codes)
    # On the record (who changed what the platform serves, and when), and the ledger
    # head moves: every process's kept public answers (county selects, county pages)
    # are dropped, as after any other change.
    from app.services import ledger

    ledger.append("regions_served" if on else "regions_unserved", actor=None,
                  detail={"code": code, "counties": codes, "prefix": prefix})  # fmt: skip
    db.session.commit()
    forget()
    return codes


def _fix_prefixes(codes: list[str]) -> None:
    """Give each newly served county (and the prefecture and province above it,
    which may decide listings) a decision prefix no other issuer of the platform
    uses: 文号 are unique, so 富民 and 富源 cannot both be 富环土. Fixed when served,
    so a county's numbers keep their prefix when a neighbour joins later."""
    issuers = {c for s in served_codes() for c in (s, *ancestors(s))}
    taken = {decision_prefix(c): c for c in sorted(issuers - set(codes))}
    for code in sorted({c for s in codes for c in (s, *ancestors(s))}):
        mine = decision_prefix(code)
        if taken.get(mine, code) == code:
            taken[mine] = code
            continue
        found = get(code)
        for candidate in (f"{found.short}环土", f"{found.name}环土", f"{code}环土"):
            if candidate not in taken and len(candidate) <= 20:
                db.session.execute(update(Region).where(Region.code == code)
                                   .values(decision_prefix=candidate))  # fmt: skip
                taken[candidate] = code
                break
