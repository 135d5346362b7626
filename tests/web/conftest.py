"""Helpers for the browser-side pages driven with Flask's test client: logging
in through /login, reading the HTML that came back, and a second app with CSRF
protection switched on (TestingConfig switches it off)."""

from __future__ import annotations

import contextvars
import io
import re
from urllib.parse import quote

import pytest
import tinyhtml5
from flask.globals import _cv_app
from flask.testing import FlaskClient
from pypdf import PdfWriter
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Case, LedgerEvent
from config import TestingConfig
from tests.support import PASSWORD


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as
    in production. The tests keep an app context pushed (tests/conftest.py), and
    Flask reuses it for requests, so ``g`` -- where Flask-Login keeps the user
    and Flask-Babel the locale -- would leak from one request into the next and
    a replayed cookie would never even be looked at."""

    def open(self, *args, **kwargs):
        response = contextvars.copy_context().run(self._open_alone, *args, **kwargs)
        # What the request committed must not be hidden behind objects the test's
        # own session (also used by ``world``'s API calls) loaded earlier.
        db.session.expire_all()
        return response

    def _open_alone(self, *args, **kwargs):
        _cv_app.set(None)
        return super().open(*args, **kwargs)


def new_client(app) -> IsolatedClient:
    return IsolatedClient(app, app.response_class, use_cookies=True)


def login(client, user, *, next_url: str | None = None, expect: int = 302):
    """Log in through the form (scrypt N=2**17: about 0.3 s, so sparingly)."""
    url = "/login" if next_url is None else f"/login?next={quote(next_url, safe='')}"
    r = client.post(url, data={"username": user.username, "password": PASSWORD})
    assert r.status_code == expect, r.get_data(as_text=True)[:500]
    return r


def logged_in(app, user):
    """A fresh test client holding ``user``'s session."""
    c = new_client(app)
    login(c, user)
    return c


# ---------------------------------------------------------------- HTML


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class Doc:
    """An HTML page parsed as a browser would (html5 parser), with a few
    selector helpers over tag, classes and attributes."""

    def __init__(self, response):
        self.response = response
        self.source = response.get_data(as_text=True)
        self.root = tinyhtml5.parse(self.source, namespace_html_elements=False)
        self._parents = {child: parent for parent in self.root.iter() for child in parent}

    def all(self, tag: str | None = None, *, cls: str | tuple = (), under=None, **attrs):
        classes = (cls,) if isinstance(cls, str) else cls
        attrs = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        found = []
        for el in (under if under is not None else self.root).iter():
            if tag and _local(el.tag) != tag:
                continue
            have = (el.get("class") or "").split()
            if any(c not in have for c in classes):
                continue
            if any(
                (el.get(k) is None) if v is True else (el.get(k) != v) for k, v in attrs.items()
            ):
                continue
            found.append(el)
        return found

    def one(self, tag: str | None = None, **kw):
        found = self.all(tag, **kw)
        assert len(found) == 1, f"expected one <{tag} {kw}>, found {len(found)}"
        return found[0]

    def parent(self, el):
        return self._parents.get(el)

    @staticmethod
    def text(el) -> str:
        return re.sub(r"\s+", " ", "".join(el.itertext())).strip()

    def field(self, name: str):
        """The input, select or textarea named ``name``."""
        found = [e for e in self.all(name=name) if _local(e.tag) in ("input", "select", "textarea")]
        assert len(found) == 1, f"expected one field named {name}, found {len(found)}"
        return found[0]

    def value(self, name: str) -> str:
        el = self.field(name)
        if _local(el.tag) == "textarea":
            return "".join(el.itertext())
        if _local(el.tag) == "select":
            chosen = [
                o for o in el.iter() if _local(o.tag) == "option" and o.get("selected") is not None
            ]
            return chosen[0].get("value", "") if chosen else ""
        return el.get("value", "")

    def errors_beside(self, name: str) -> list[str]:
        """The ``.invalid-feedback`` messages in the same form group as the field."""
        group = self.parent(self.field(name))
        return [self.text(e) for e in self.all(cls="invalid-feedback", under=group)]

    def alerts(self) -> list[str]:
        return [self.text(e) for e in self.all(cls="alert")]


def page(response) -> Doc:
    return Doc(response)


def csrf_token(response) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert m, "no csrf_token in the page"
    return m.group(1)


# ---------------------------------------------------------------- data


def pdf_bytes(title: str = "调查报告") -> bytes:
    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    w.add_metadata({"/Title": title})
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


SAMPLES_CSV = "点位编号,深度,污染物,检测值,单位\nS1,0.5,铅,650,mg/kg\nS1,0.5,镉,2.1,mg/kg\nS2,1.0,砷,12,mg/kg\n"


def ledger_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerEvent))


def case_row(case_id: int) -> tuple[str, int]:
    """(state, version) read afresh, not from the session's identity map."""
    row = db.session.execute(select(Case.state, Case.version).where(Case.id == case_id)).one()
    return row.state, row.version


@pytest.fixture(scope="session")
def csrf_app(app):
    """The same database as ``app`` (DATABASE_URL is set by then), CSRF on."""
    return create_app(TestingConfig, WTF_CSRF_ENABLED=True)


@pytest.fixture
def web(app) -> IsolatedClient:
    """An anonymous browser."""
    return new_client(app)


@pytest.fixture
def login_as(app):
    """``login_as(user)`` -> a new test client with that user's session."""
    return lambda user: logged_in(app, user)
