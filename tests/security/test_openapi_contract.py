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


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _pointer_in_schema(spec: dict, schema: dict, pointer: str) -> bool:
    """Whether the JSON pointer names a field the response schema declares."""
    for token in pointer.strip("/").split("/"):
        schema = _resolve(spec, schema)
        if token.isdigit() and schema.get("type") == "array":
            schema = schema.get("items", {})
        elif token in schema.get("properties", {}):
            schema = schema["properties"][token]
        else:
            return False
    return True


def test_links_name_existing_operations_parameters_and_response_fields(client):
    """Each link of the document (schemathesis' stateful phase follows them)
    targets an existing operationId, sets only parameters that operation has,
    and reads only fields the source response declares, or the source's own
    path parameters; a body it sends names fields the target's body accepts."""
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    ops = {op["operationId"]: (path, op) for path, item in spec["paths"].items()
           for m, op in item.items() if m in HTTP}  # fmt: skip
    assert len(ops) == len(described_operations(spec)), "operationIds must be unique"
    links = 0
    bad = []
    for source_id, (_path, op) in ops.items():
        source_params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        for status, response in op["responses"].items():
            body_schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            for name, link in response.get("links", {}).items():
                links += 1
                where = f"{source_id} {status} {name}"
                if link.get("operationId") not in ops:
                    bad.append(f"{where}: unknown operationId {link.get('operationId')}")
                    continue
                target = ops[link["operationId"]][1]
                target_params = {p["name"] for p in target.get("parameters", [])}
                expressions = list(link.get("parameters", {}).items())
                for param, _ in expressions:
                    if param not in target_params:
                        bad.append(f"{where}: {link['operationId']} has no parameter {param}")
                body = link.get("requestBody", {})
                if body:
                    target_body = _resolve(
                        spec, target["requestBody"]["content"]["application/json"]["schema"]
                    )
                    bad += [f"{where}: body field {f} unknown" for f in body
                            if f not in target_body.get("properties", {})]  # fmt: skip
                    expressions += list(body.items())
                for field, expr in expressions:
                    if expr.startswith("$response.body#"):
                        ok = _pointer_in_schema(spec, body_schema, expr.split("#", 1)[1])
                    elif expr.startswith("$request.path."):
                        ok = expr.removeprefix("$request.path.") in source_params
                    else:
                        ok = False
                    if not ok:
                        bad.append(
                            f"{where}: {field}={expr} names nothing the {status} response declares"
                        )
    assert links >= 40, links  # register → case → file → act, manifests, parties, determinations
    assert not bad, bad


def test_a_link_to_a_missing_field_is_caught(client):
    """The check above can fail: a pointer to an undeclared field is refused."""
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    created = spec["components"]["schemas"]["SiteCreated"]
    assert _pointer_in_schema(spec, created, "/case/id")
    assert not _pointer_in_schema(spec, created, "/case/nope")
    assert not _pointer_in_schema(spec, created, "/id")
