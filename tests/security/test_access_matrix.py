"""The access matrix (access_matrix.yaml) against every route of ``app.url_map``.

One sweep per run calls every cell — every route (and variant) as every role,
on the objects of tests/security/county.py — and keeps what came back; the
tests below read the sweep:

- the matrix lists exactly the routes the app registers (a new route fails);
- an allowed cell is served (not 401/403/404, not a redirect to /login, never
  a 5xx; a 400/409 for an empty POST is fine);
- a denied cell answers 401/403/404 (or a redirect to /login for HTML), with
  no marker of any object in the body, and appends nothing to the ledger;
  `soft` cells (a case party re-shown a page) may answer otherwise but must
  change nothing either;
- an authenticated 403/404 denial is logged as ``authz_fail``.

Figure (printed by ``test_sweep_figure``): cells tried, unexpected 2xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from flask import url_for
from sqlalchemy import func, select

from app.extensions import db
from app.models import LedgerEvent
from tests.security.conftest import Capture, wipe
from tests.security.county import MARKERS, ROLES, County, build
from tests.support import PASSWORD, World

MATRIX_FILE = Path(__file__).with_name("access_matrix.yaml")
MATRIX = yaml.safe_load(MATRIX_FILE.read_text(encoding="utf-8"))
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def expand(names, groups=MATRIX["groups"]) -> set[str]:
    out: set[str] = set()
    for name in names or ():
        if name in groups:
            out |= expand(groups[name], groups)
        elif name in ROLES:
            out.add(name)
        else:
            raise ValueError(f"unknown role or group {name!r} in {MATRIX_FILE.name}")
    return out


@dataclass
class Spec:
    key: str
    endpoint: str
    method: str
    variant: int
    params: dict
    allow: set[str]
    sees: set[str]
    soft: set[str]
    body: dict | None
    form: dict | None
    redirect_denies: bool
    ok_redirect_login: bool

    @property
    def label(self) -> str:
        extra = ",".join(f"{v}" for k, v in self.params.items() if not str(v).startswith("$"))
        return f"{self.key}[{extra}]" if extra else self.key


def specs() -> list[Spec]:
    out = []
    for key, entry in MATRIX["routes"].items():
        endpoint, method = key.rsplit(" ", 1)
        for i, v in enumerate(entry if isinstance(entry, list) else [entry]):
            allow = expand(v.get("allow"))
            out.append(
                Spec(
                    key=key, endpoint=endpoint, method=method, variant=i,
                    params=v.get("params") or {}, allow=allow,
                    sees=expand(v["sees"]) if "sees" in v else allow,
                    soft=expand(v.get("soft")), body=v.get("body"), form=v.get("form"),
                    redirect_denies=bool(v.get("redirect_denies")),
                    ok_redirect_login=bool(v.get("ok_redirect_login")),
                )
            )  # fmt: skip
    return out


SPECS = specs()
ROUTE_KEYS = sorted(MATRIX["routes"])


def registered_routes(app) -> set[str]:
    return {
        f"{rule.endpoint} {method}"
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
    }


# ---------------------------------------------------------------- the sweep


@dataclass
class Cell:
    spec: Spec
    role: str
    url: str
    status: int
    location: str
    leaked: list[str]
    ledger_delta: int
    events: list[dict] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.role in self.spec.allow

    @property
    def outcome(self) -> str:
        if self.status >= 500:
            return "error"
        if self.status in (401, 403, 404):
            return "refused"
        if 300 <= self.status < 400:
            return "login" if urlsplit(self.location).path == "/login" else "redirect"
        return "served"

    def describe(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        extra = f" leaked {self.leaked}" if self.leaked else ""
        extra += f" ledger +{self.ledger_delta}" if self.ledger_delta else ""
        return f"{self.spec.label} as {self.role}: {self.status}{where}{extra}"


def _ledger_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEvent))


def _login(app, user):
    client = app.test_client()
    r = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return client


def _call(app, county: County, clients: dict, spec: Spec, role: str, log: Capture) -> Cell:
    params = county.resolve(spec.params)
    with app.test_request_context():
        url = url_for(spec.endpoint, **params)
    actor = county.actor(role)
    denied = role not in spec.allow
    kwargs: dict = {}
    if url.startswith("/api/"):
        client = clients["anonymous"]
        kwargs["headers"] = actor.headers if actor else {}
        if spec.method == "POST":
            kwargs["json"] = county.resolve(spec.body) if denied and spec.body else {}
    else:
        client = clients[role]
        if spec.method == "POST":
            kwargs["data"] = county.resolve(spec.form) if denied and spec.form else {}
    before_events, before_ledger = len(log.events), _ledger_count()
    r = client.open(url, method=spec.method, **kwargs)
    body = r.get_data().decode("utf-8", "replace")
    leaked = [m for m in MARKERS.values() if m in body]
    return Cell(
        spec=spec, role=role, url=url, status=r.status_code,
        location=r.headers.get("Location", ""), leaked=leaked,
        ledger_delta=_ledger_count() - before_ledger, events=log.events[before_events:],
    )  # fmt: skip


@pytest.fixture(scope="module")
def sweep(app) -> list[Cell]:
    """Every cell of the matrix, called once (the tests only read the results)."""
    log = Capture().attach()
    cells: list[Cell] = []
    try:
        with app.app_context():
            county = build(World.build(app.test_client()))
            clients = {"anonymous": app.test_client()}
            for role in ROLES[1:]:
                clients[role] = _login(app, county.actor(role).user)
            # Logging out ends the user's session everywhere: last.
            # Revoking one's own token, too.
            last = ("api.revoke_current_token DELETE", "auth.logout POST")
            ordered = sorted(SPECS, key=lambda s: (s.key in last, s.key == last[1]))
            for spec in ordered:
                # Denied roles first: their calls carry valid bodies and must change nothing.
                for role in sorted(ROLES, key=lambda r: r in spec.allow):
                    cells.append(_call(app, county, clients, spec, role, log))
    finally:
        log.detach()
        with app.app_context():
            wipe()
    return cells


def _cells(sweep, key):
    return [c for c in sweep if c.spec.key == key]


# ---------------------------------------------------------------- the route list


def test_every_registered_route_is_in_the_matrix(app):
    missing = sorted(registered_routes(app) - set(ROUTE_KEYS))
    assert not missing, f"routes with no row in {MATRIX_FILE.name}: {missing}"


def test_every_matrix_row_is_a_registered_route(app):
    stale = sorted(set(ROUTE_KEYS) - registered_routes(app))
    assert not stale, f"rows of {MATRIX_FILE.name} with no route: {stale}"


def test_matrix_roles_and_soft_cells_are_consistent():
    for spec in SPECS:
        assert not (spec.soft & spec.allow), f"{spec.label}: a role both allowed and soft"
        assert spec.sees <= spec.allow, f"{spec.label}: sees must be a subset of allow"
        needs_probe = spec.method == "POST" and spec.allow != set(ROLES)
        exempt = ("api.sign_determination", "auth.logout", "api.revoke_current_token")
        if needs_probe and spec.endpoint not in exempt:
            assert spec.body or spec.form, f"{spec.label}: a denied POST needs a valid probe body"


# ---------------------------------------------------------------- the cells


@pytest.mark.parametrize("key", ROUTE_KEYS)
def test_access(sweep, key):
    """Allowed cells are served; denied cells are refused, leak nothing, change nothing."""
    problems = []
    for c in _cells(sweep, key):
        if c.outcome == "error":
            problems.append(f"5xx: {c.describe()}")
        elif c.allowed:
            ok = c.outcome in ("served", "redirect") or (
                c.outcome == "login" and c.spec.ok_redirect_login
            )
            if not ok:
                problems.append(f"allowed but refused: {c.describe()}")
            if c.role not in c.spec.sees and c.leaked:
                problems.append(f"list shows another party's object: {c.describe()}")
        else:
            if c.leaked and c.role not in c.spec.soft:
                problems.append(f"denied but object data in the body: {c.describe()}")
            if c.ledger_delta:
                problems.append(f"denied but the ledger moved: {c.describe()}")
            hard = c.outcome in ("refused", "login") or (
                c.outcome == "redirect" and c.spec.redirect_denies
            )
            if not hard and c.role not in c.spec.soft:
                kind = "unexpected 2xx" if 200 <= c.status < 300 else "not refused"
                problems.append(f"{kind}: {c.describe()}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", ROUTE_KEYS)
def test_denial_is_logged(sweep, key):
    """Every 403/404 an authenticated user gets is an ``authz_fail`` line in the security log."""
    unlogged = [
        c.describe()
        for c in _cells(sweep, key)
        if not c.allowed
        and c.role != "anonymous"
        and c.outcome == "refused"
        and not any(e.get("event") == "authz_fail" for e in c.events)
    ]
    assert not unlogged, "denials with no authz_fail event:\n" + "\n".join(unlogged)


def test_sweep_figure(sweep, capsys):
    """The note's figure: cells tried, unexpected 2xx on denied cells (must be 0)."""
    denied = [c for c in sweep if not c.allowed]
    unexpected_2xx = [c for c in denied if 200 <= c.status < 300 and c.role not in c.spec.soft]
    soft = [c for c in denied if c.role in c.spec.soft]
    unlogged = [
        c for c in denied
        if c.role != "anonymous" and c.outcome == "refused"
        and not any(e.get("event") == "authz_fail" for e in c.events)
    ]  # fmt: skip
    with capsys.disabled():
        print(
            f"\n[access matrix] routes {len(ROUTE_KEYS)}, variants {len(SPECS)}, "
            f"cells tried {len(sweep)} (allowed {len(sweep) - len(denied)}, denied {len(denied)}), "
            f"unexpected 2xx {len(unexpected_2xx)}, soft denials {len(soft)}, "
            f"5xx {sum(c.status >= 500 for c in sweep)}, unlogged 403/404 {len(unlogged)}"
        )
    assert len(sweep) == len(SPECS) * len(ROLES)
    assert not unexpected_2xx, "\n".join(c.describe() for c in unexpected_2xx)
