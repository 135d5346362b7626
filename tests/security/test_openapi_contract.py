"""The OpenAPI 3.1 document at /api/v1/openapi.json against the routes the app
registers: every /api/v1 route is described and every described operation is
routed (the HTML /api/v1/docs page excepted), and the document is valid."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

PREFIX = "/api/v1"
EXEMPT = {("/docs", "get")}  # the readable HTML page of the document itself
HTTP = {"get", "post", "put", "patch", "delete"}


def _template(rule: str) -> str:
    """``/cases/<int:case_id>`` → ``/cases/{case_id}``."""
    return re.sub(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>", r"{\1}", rule)


def routed_operations(app) -> set[tuple[str, str]]:
    ops = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = _template(rule.rule[len(PREFIX) :])
        ops |= {(path, m.lower()) for m in rule.methods if m.lower() in HTTP}
    return ops


def described_operations(spec: dict) -> set[tuple[str, str]]:
    return {(path, m) for path, item in spec["paths"].items() for m in item if m in HTTP}


def test_the_document_is_served_and_valid_openapi_3_1(client):
    r = client.get(f"{PREFIX}/openapi.json")
    assert r.status_code == 200 and r.is_json
    spec = r.get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises OpenAPIValidationError with the path of the problem
    assert spec["servers"] == [{"url": PREFIX}]


def test_every_api_route_is_described(app, client):
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    missing = sorted(routed_operations(app) - described_operations(spec) - EXEMPT)
    assert not missing, f"routes not in openapi.json: {missing}"


def test_every_described_operation_is_routed(app, client):
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    stale = sorted(described_operations(spec) - routed_operations(app))
    assert not stale, f"openapi.json describes operations no route serves: {stale}"


def test_path_parameters_match_the_route_placeholders(client):
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    for path, item in spec["paths"].items():
        placeholders = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            if method not in HTTP:
                continue
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == placeholders, (path, method, declared, placeholders)


def test_secured_operations_answer_401_without_a_token(app, client):
    """Every operation the document marks as needing a bearer token refuses an
    anonymous call with the 401 it documents."""
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    refused = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in HTTP or not op.get("security"):
                continue
            url = PREFIX + re.sub(r"{[^}]+}", "1", path)
            r = client.open(url, method=method.upper(), json={} if method == "post" else None)
            if r.status_code != 401 or "401" not in op["responses"]:
                refused.append((method, path, r.status_code))
    assert not refused, refused
