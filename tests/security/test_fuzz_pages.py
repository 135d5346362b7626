"""Property-based fuzzing of the pages (issue 17): every HTML form POST of the access
matrix and the query parameters of every HTML page, filled by Hypothesis with
arbitrary Unicode text and integers, as a user allowed there. Nothing may answer 5xx.

The JSON API is fuzzed the same way from its OpenAPI description by schemathesis
(``scripts/schemathesis.sh``, in CI)."""

from __future__ import annotations

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import wipe
from tests.security.county import build
from tests.security.test_access_matrix import SPECS
from tests.support import PASSWORD, World

# Text a person (or a tool) might send: anything UTF-8 can carry, numbers as text in
# every script, huge and negative integers, empty strings.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
NUMBERS = st.integers(min_value=-(10**40), max_value=10**40).map(str)
ODD = st.sampled_from(["", " ", "0", "-1", "9" * 40, "١٢", "１２", "1e309", "NaN", "2026-02-30",
                       "../../etc/passwd", "<script>x</script>", "=cmd|'/C calc'!A0"])  # fmt: skip
VALUE = st.one_of(TEXT, NUMBERS, ODD)
QUERY_KEYS = ("page", "per_page", "state", "township", "q", "pollutant", "land_category",
              "lat", "lon", "radius", "status", "stage", "owner", "kind", "overdue", "unread",
              "lang", "next", "code")  # fmt: skip

FORMS = [s for s in SPECS if s.method == "POST" and s.form and not s.endpoint.startswith("api.")
         and s.endpoint != "auth.logout"]  # fmt: skip
PAGES = [s for s in SPECS if s.method == "GET" and not s.endpoint.startswith("api.")
         and not s.endpoint.endswith(("pdf", "photo", "download_document", "head_file"))]  # fmt: skip
EXAMPLES = 25  # per route: about 1,300 requests in all
RUN: dict[str, int] = {"requests": 0}


def _role(spec) -> str | None:
    for role in ("bureau_environment", "landholder_owner", "admin", "contractor_assigned",
                 "facility_assigned", "evaluator_assigned", "anonymous"):  # fmt: skip
        if role in spec.allow:
            return role
    return None


@pytest.fixture(scope="module")
def county(app, request):
    with app.app_context():
        c = build(World.build(app.test_client()))
        clients = {"anonymous": app.test_client()}
        for role in ("bureau_environment", "landholder_owner", "admin", "contractor_assigned",
                     "facility_assigned", "evaluator_assigned"):  # fmt: skip
            client = app.test_client()
            r = client.post("/login", data={"username": c.actor(role).user.username,
                                            "password": PASSWORD})  # fmt: skip
            assert r.status_code == 302
            clients[role] = client
    yield c, clients
    with app.app_context():
        wipe()
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # the count, in every run (CI shows it)
        print(f"\n[fuzz pages] forms {len(FORMS)}, pages {len(PAGES)}, "
              f"requests {RUN['requests']}, 5xx 0")  # fmt: skip


def _url(app, county, spec) -> str:
    with app.test_request_context():
        return url_for(spec.endpoint, **county.resolve(spec.params))


@pytest.mark.parametrize("spec", FORMS, ids=[s.label for s in FORMS])
def test_desk_and_portal_forms_never_answer_5xx(app, county, spec):
    c, clients = county
    role = _role(spec)
    if role is None:
        pytest.skip("no role may post this form")
    url, client = _url(app, c, spec), clients[role]
    fields = sorted(set(spec.form) | {"comment", "note", "version", "submission_id"})

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.fixed_dictionaries({}, optional={f: VALUE for f in fields}))
    def post(form):
        r = client.post(url, data=form)
        RUN["requests"] += 1
        assert r.status_code < 500, (url, form, r.status_code)

    post()


@pytest.mark.parametrize("spec", PAGES, ids=[s.label for s in PAGES])
def test_pages_take_any_query_without_a_5xx(app, county, spec):
    c, clients = county
    role = _role(spec)
    if role is None:
        pytest.skip("no role may read this page")
    url, client = _url(app, c, spec), clients[role]

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.dictionaries(st.sampled_from(QUERY_KEYS), VALUE, max_size=4))
    def get(query):
        r = client.get(url, query_string=query)
        RUN["requests"] += 1
        assert r.status_code < 500, (url, query, r.status_code)

    get()
