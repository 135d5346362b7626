"""Fuzz the /api/v1 contract with schemathesis against the in-process WSGI app.

Every operation of /api/v1/openapi.json is called with generated requests —
valid ones (positive) and invalid ones (negative) — twice over: with random
path parameters, and with the path parameters of real objects of a small county
(tests/security/county.py: a case in works, its manifests, document,
determination, party, plot code, tip-off), as a landholder and as a bureau
officer. Then a chain where each step feeds the next, as links would: a
generated plot registration → filings on the case it opened → actions on it.

Asserted: no 5xx; every answer conforms to the document (status code, content
type, JSON body); invalid requests are refused. Each finding is printed with
its request.

Run with ``bash scripts/schemathesis.sh`` (installs schemathesis if missing);
``SCHEMATHESIS_MAX_EXAMPLES`` bounds the examples per operation and pass
(default 20: about a minute). Skipped when schemathesis is absent, and in a
plain ``pytest`` run unless ``-m schemathesis`` or ``RUN_SCHEMATHESIS=1``
(tests/security/conftest.py), so CI runs it once, from the script.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from tests.security.county import build  # noqa: E402

pytestmark = pytest.mark.schemathesis

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))
# /tokens hashes each password with scrypt (~0.3 s): fewer examples there.
SLOW = {"POST /tokens": 5}


def _checks():
    """5xx, body schema, documented status codes and content types, and invalid
    data accepted. SCHEMATHESIS_ALL_CHECKS=1 adds positive_data_acceptance
    (schema-valid requests the service refuses: the document is looser than the
    service's rules — credit-code check characters, the county's townships,
    known pollutants); informative, so not asserted by default."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        positive_data_acceptance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, response_schema_conformance, status_code_conformance,
              content_type_conformance, negative_data_rejection]  # fmt: skip
    if os.environ.get("SCHEMATHESIS_ALL_CHECKS"):
        checks.append(positive_data_acceptance)
    return checks


def _request(case) -> str:
    body = getattr(case, "body", None)
    try:
        shown = json.dumps(body, ensure_ascii=False, default=str)[:300]
    except TypeError:
        shown = repr(body)[:300]
    return f"{case.method} {case.formatted_path} query={case.query} body={shown}"


class Findings:
    def __init__(self):
        self.by_key: dict[str, list[str]] = defaultdict(list)
        self.calls = 0
        self.server_errors = 0
        self.schema_violations = 0
        self.skipped = 0

    def record(self, label: str, case, response, exc: BaseException) -> None:
        kind = "5xx" if response.status_code >= 500 else "schema"
        text = str(exc).strip().splitlines()
        summary = " | ".join(line.strip() for line in text[:6] if line.strip())[:500]
        key = f"{kind} {label} {response.status_code} {summary[:120]}"
        if len(self.by_key[key]) < 2:  # one or two example requests per distinct problem
            self.by_key[key].append(f"{_request(case)} -> {response.status_code}: {summary}")
        if kind == "5xx":
            self.server_errors += 1
        else:
            self.schema_violations += 1

    def report(self) -> str:
        lines = []
        for key, examples in sorted(self.by_key.items()):
            lines.append(key)
            lines.extend(f"    {e}" for e in examples)
        return "\n".join(lines)


def _fuzz(operation, headers: dict, findings: Findings, checks, *, mode, path_parameters=None,
          examples: int = MAX_EXAMPLES) -> None:  # fmt: skip
    label = f"{operation.method.upper()} {operation.path}"
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=strategy)
    def run(case):
        response = case.call(headers=headers)
        findings.calls += 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup of failed checks
            findings.record(label, case, response, exc)

    try:
        run()
    except Unsatisfiable:
        findings.skipped += 1  # nothing to negate (no parameters, no body)


def _real_parameters(county) -> dict[str, object]:
    refs = county.refs
    return {
        "case_id": refs["case"],
        "manifest_id": refs["manifest_in_transit"],
        "document_id": refs["document"],
        "determination_id": refs["determination"],
        "tipoff_id": refs["tipoff"],
        "ref": str(refs["party"]),
        "code": refs["site_code"],
        "sha256": refs["photo"],
    }


@pytest.fixture
def county(world):
    return build(world)


def test_fuzz_every_operation(app, county, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = _checks()
    findings = Findings()
    real = _real_parameters(county)
    actors = {"landholder": county.world.landholder.headers, "env": county.world.env.headers}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        examples = SLOW.get(label, MAX_EXAMPLES)
        names = {p.name for p in operation.path_parameters}
        fixed = {k: v for k, v in real.items() if k in names}
        for who, headers in actors.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(operation, headers, findings, checks, mode=mode, examples=examples)
                if fixed and who == "landholder" or fixed and mode == GenerationMode.POSITIVE:
                    _fuzz(operation, headers, findings, checks, mode=mode, path_parameters=fixed,
                          examples=examples)  # fmt: skip
    with capsys.disabled():
        print(f"\n[schemathesis] operations {len(operations)}, calls {findings.calls}, "
              f"5xx {findings.server_errors}, schema violations {findings.schema_violations}")  # fmt: skip
        if findings.by_key:
            print(findings.report())
    assert findings.server_errors == 0 and findings.schema_violations == 0, findings.report()


def test_chain_register_file_act(app, world, capsys):
    """What OpenAPI links would drive: a generated plot → filings on its case → actions."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = _checks()
    findings = Findings()
    register = schema["/sites"]["POST"]
    file_op = schema["/cases/{case_id}/filings"]["POST"]
    act_op = schema["/cases/{case_id}/actions/{action}"]["POST"]
    headers = world.landholder.headers
    officer = world.env.headers
    kinds = st.sampled_from(["survey_report", "risk_assessment_report", "remediation_plan"])

    @settings(max_examples=max(5, MAX_EXAMPLES // 2), deadline=None, database=None,
              derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(site=register.as_strategy(), data=st.data())
    def run(site, data):
        if isinstance(site.body, dict):
            # Keep what the generator cannot know (the county's townships, a
            # registered responsible party, a real polygon) so the chain goes on.
            site.body["township"] = data.draw(st.sampled_from(["章凤镇", "陇把镇", "景罕镇"]))
            for key in ("boundary", "responsible_party_credit_code", "backgrounds"):
                site.body.pop(key, None)
        r = site.call(headers=headers)
        findings.calls += 1
        try:
            site.validate_response(r, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:
            findings.record("POST /sites", site, r, exc)
        if r.status_code != 201:
            return
        case_id = r.json()["case"]["id"]
        for _ in range(3):
            filing = data.draw(file_op.as_strategy(path_parameters={"case_id": case_id},
                                                   media_type="application/json"))  # fmt: skip
            if isinstance(filing.body, dict):
                filing.body["kind"] = data.draw(kinds)
            fr = filing.call(headers=headers)
            findings.calls += 1
            try:
                filing.validate_response(fr, checks=checks, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:
                findings.record("POST /cases/{case_id}/filings", filing, fr, exc)
        # The case's own survey, then submit / approve with the live version.
        fr = world.client.post(f"/api/v1/cases/{case_id}/filings", headers=headers,
                               json={"kind": "survey_report", "data": world.survey_data()})  # fmt: skip
        for who in (headers, officer, headers):
            version = world.client.get(f"/api/v1/cases/{case_id}", headers=officer).get_json()
            action = data.draw(act_op.as_strategy(
                path_parameters={"case_id": case_id}, body={"version": version["version"]}
            ))  # fmt: skip
            ar = action.call(headers=who)
            findings.calls += 1
            try:
                action.validate_response(ar, checks=checks, headers=who)
            except (Exception, BaseExceptionGroup) as exc:
                findings.record("POST /cases/{case_id}/actions/{action}", action, ar, exc)

    run()
    with capsys.disabled():
        print(f"\n[schemathesis chain] calls {findings.calls}, 5xx {findings.server_errors}, "
              f"schema violations {findings.schema_violations}")  # fmt: skip
        if findings.by_key:
            print(findings.report())
    assert findings.server_errors == 0 and findings.schema_violations == 0, findings.report()
