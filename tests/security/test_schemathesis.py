"""Fuzz the /api/v1 contract with schemathesis against the in-process WSGI app.

Every operation of /api/v1/openapi.json is called with generated requests —
valid ones (positive) and invalid ones (negative) — twice over: with random
path parameters, and with the path parameters of real objects of a small county
(tests/security/county.py: a case in works, its manifests, document,
determination, party, plot code, tip-off), as a landholder and as a bureau
officer. Then a chain where each step feeds the next, as links would: a
generated plot registration → filings on the case it opened → actions on it.
Last, schemathesis' stateful phase: scenarios that follow the OpenAPI links of
the document (app/api/openapi.py ``LINKS``: register a plot → its case → file →
act with the live version; manifest → dispatch / receive / resolve; party →
ban / lift; determination → sign), each request as the actor it is for; it
prints the scenarios, calls and links covered.

Asserted: no 5xx; every answer conforms to the document (status code, content
type, JSON body); invalid requests are refused. Each finding is printed with
its request.

Run with ``bash scripts/schemathesis.sh`` (installs schemathesis if missing);
``SCHEMATHESIS_MAX_EXAMPLES`` bounds the examples per operation and pass
(default 20: about a minute), ``SCHEMATHESIS_STATEFUL_STEPS`` the steps per
stateful scenario (default 20). Skipped when schemathesis is absent, and in a
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
# Steps per stateful scenario (three of them are the seeds).
STATEFUL_STEPS = int(os.environ.get("SCHEMATHESIS_STATEFUL_STEPS", "20"))


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
        who_calls = actors
        if label in OWN_CREDENTIALS:  # would revoke the tokens the other calls use
            who_calls = {"throwaway": _throwaway_headers()}
        for who, headers in who_calls.items():
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


# ---------------------------------------------------------------- stateful phase

# Who calls what in the stateful phase. One token cannot walk the lifecycle:
# the landholder registers a plot, files and submits; the environment
# department approves, returns, requires; natural resources co-signs and signs
# determinations (workflows.lifecycle.ACTORS); the contractor dispatches a
# manifest, the facility receives it, the bureau resolves a discrepancy. So
# each request carries the token of the actor its operation (and, for case
# actions and manifest steps, the action) is for.
BUREAU_ONLY = ("/tipoffs", "/ledger/verify", "/cases/{case_id}/determinations")
MANIFEST_STEP_ACTOR = {"dispatch": "contractor", "receive": "facility", "resolve": "env"}


# Operations on the caller's own credentials run with a token of their own.
OWN_CREDENTIALS = {"DELETE /tokens/current", "POST /me/password"}


def _throwaway_headers() -> dict:
    from tests.support import bearer, make_party, make_user

    return bearer(make_user("landholder", make_party("一次性令牌单位")))


def _actor_for(case, world) -> dict:
    from workflows.lifecycle import ACTORS

    path, method = case.operation.path, case.method.upper()
    if f"{method} {path}" in OWN_CREDENTIALS:
        return _throwaway_headers()
    params = case.path_parameters or {}
    if path == "/cases/{case_id}/actions/{action}":
        roles = ACTORS.get(params.get("action"), set())
        if roles == {"bureau_natural_resources"}:
            return world.nr.headers
        if "bureau_environment" in roles:
            return world.env.headers
        return world.landholder.headers
    if path == "/manifests/{manifest_id}/{step}":
        return world.actors[MANIFEST_STEP_ACTOR.get(params.get("step"), "contractor")].headers
    if path in ("/manifests", "/manifests/{manifest_id}"):
        return world.contractor.headers
    if path.startswith("/determinations/"):
        return world.nr.headers
    if path.startswith(BUREAU_ONLY) or (method == "POST" and path.startswith("/parties")):
        return world.env.headers
    return world.landholder.headers


class LinkStats:
    """What the stateful phase did: scenarios, calls, and each link followed."""

    def __init__(self, links: list):
        self.defined = {link.full_name: link.is_inferred for link in links}
        self.followed: dict[str, int] = defaultdict(int)  # link -> steps that used its values
        self.scenarios = 0
        self.calls = 0

    def step(self, transition, applied: bool) -> None:
        self.calls += 1
        if transition is not None and applied:
            self.followed[transition.id] += 1

    def covered(self, inferred: bool) -> tuple[int, int]:
        names = [n for n, flag in self.defined.items() if flag == inferred]
        return sum(1 for n in names if self.followed.get(n)), len(names)

    def report(self) -> str:
        document, inferred = self.covered(False), self.covered(True)
        lines = [
            f"[schemathesis stateful] scenarios {self.scenarios}, calls {self.calls}, "
            f"links followed {sum(self.followed.values())} times, links covered "
            f"{document[0]}/{document[1]} of the document's, {inferred[0]}/{inferred[1]} inferred"
        ]
        missed = sorted(
            n for n, flag in self.defined.items() if not flag and not self.followed.get(n)
        )
        lines.extend(f"    not followed: {n}" for n in missed)
        return "\n".join(lines)


def _stateful_machine(schema, world, county, checks, findings, stats):
    """schemathesis' state machine for the document's links, with the actor per
    request, the checks of the stateless run, and three seeds per scenario that
    the generator cannot invent (a valid plot with its survey report, a valid
    new party, a manifest on the county's case in works): from there the links carry the ids on."""
    from hypothesis.stateful import Bundle, initialize
    from schemathesis.generation.stateful.state_machine import StepInput, normalize_name

    from tests.support import SITE, new_credit_code

    base = schema.as_state_machine()
    # Scenarios start from operations that need no id: a random case_id,
    # manifest_id or determination_id is a 404 and wastes the scenario; those
    # operations are reached through links instead.
    needs_id = {normalize_name(f"RANDOM -> {r.ok().label}") for r in schema.get_all_operations()
                if "{" in r.ok().path}  # fmt: skip
    hidden = base.root_rules & needs_id

    def seed(machine, label: str, headers: dict, **kwargs):
        method, path = label.split(" ", 1)
        case = schema[path][method].Case(media_type="application/json", **kwargs)
        machine.seed_headers[case.id] = headers
        machine.recorder.record_case(case=case)
        return machine.step(StepInput.initial(case))

    class Workflow(base):
        def setup(self):
            stats.scenarios += 1
            self.seed_headers = {}

        @initialize(target=Bundle("catch_all"))
        def register_a_plot_and_file_its_survey(self):
            plot = seed(self, "POST /sites", world.landholder.headers, body=dict(SITE))
            survey = seed(self, "POST /cases/{case_id}/filings", world.landholder.headers,
                          path_parameters={"case_id": plot.response.json()["case"]["id"]},
                          body={"kind": "survey_report", "data": world.survey_data()})  # fmt: skip
            self._add_results_to_targets(("catch_all",), [plot])  # both feed later steps
            return survey

        @initialize(target=Bundle("catch_all"))
        def register_a_party(self):
            body = {"name": "状态测试单位", "credit_code": new_credit_code(), "kind": "enterprise"}
            return seed(self, "POST /parties", world.env.headers, body=body)

        @initialize(target=Bundle("catch_all"))
        def report_a_manifest(self):
            return seed(self, "POST /cases/{case_id}/manifests", world.contractor.headers,
                        path_parameters={"case_id": county.case_id},
                        body=world.manifest_data(10.0))  # fmt: skip

        def step(self, input):
            stats.step(input.transition, input.is_applied)
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"headers": self.seed_headers.get(case.id) or _actor_for(case, world)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(response, checks=checks, headers=kwargs.get("headers"),
                                       transport_kwargs=kwargs, recorder=self.recorder)  # fmt: skip
            except (Exception, BaseExceptionGroup) as exc:
                findings.record(
                    f"stateful {case.method} {case.operation.path}", case, response, exc
                )

    for name in hidden:
        setattr(Workflow, name, None)  # no longer a rule
    return Workflow


def test_stateful_links(app, county, capsys):
    """schemathesis' stateful phase over the document's links (and the links
    schemathesis infers): register a plot → its case → file → act with the live
    version; report a manifest → read it → dispatch / receive / resolve; register
    a party → read, ban, lift; propose a determination → sign. Each step is
    checked like the stateless calls."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    findings = Findings()
    base_links = schema.as_state_machine()._transitions.operations.values()
    stats = LinkStats([link for ops in base_links for link in ops.outgoing])
    workflow = _stateful_machine(schema, county.world, county, _checks(), findings, stats)
    workflow.run(settings=settings(max_examples=max(10, MAX_EXAMPLES * 2), stateful_step_count=STATEFUL_STEPS,
                                   deadline=None, database=None, phases=[Phase.generate],
                                   suppress_health_check=list(HealthCheck)))  # fmt: skip
    with capsys.disabled():
        print(f"\n{stats.report()}\n    5xx {findings.server_errors}, "
              f"schema violations {findings.schema_violations}")  # fmt: skip
        if findings.by_key:
            print(findings.report())
    assert stats.covered(inferred=False)[0] >= 10, stats.report()
    assert findings.server_errors == 0 and findings.schema_violations == 0, findings.report()
