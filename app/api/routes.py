"""API views: parse the request, call one service, serialise the answer."""

from __future__ import annotations

import functools
import json

from flask import current_app, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from app import response_cache, security_log
from app.api import bp
from app.errors import Forbidden, NotFound, Unauthorized, UnsupportedMediaType, ValidationError
from app.extensions import db, limiter
from app.models import MANIFEST_STATUSES, LedgerHead
from app.services import accountability as accountability_service
from app.services import auth as auth_service
from app.services import case_json, clock, ledger_heads, scopes
from app.services import cases as case_service
from app.services import filings as filing_service
from app.services import ledger as ledger_service
from app.services import manifests as manifest_service
from app.services import parties as party_service
from app.services import responsibility as responsibility_service
from app.services import screening as screening_service
from app.services import sites as site_service
from app.services import use_change as use_change_service

# ---------------------------------------------------------------- helpers


def api_user():
    """Bearer token; a browser session also works for reads (GET), never for
    writes, because the API is exempt from CSRF."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user, head = auth_service.token_lookup(header[7:].strip())
        if user is None:
            raise Unauthorized("访问令牌无效或已过期")
        response_cache.set_head_seq(head)
        return user
    if request.method == "GET" and current_user.is_authenticated:
        return current_user._get_current_object()
    raise Unauthorized("请提供访问令牌：Authorization: Bearer <token>")


OWN_ACCOUNT = frozenset({"api.me", "api.revoke_current_token", "api.change_my_password"})


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.user = api_user()
        if g.user.department == "agriculture" and request.endpoint not in OWN_ACCOUNT:
            # Agriculture officers work on cultivated land (/farmland), not on cases.
            raise Forbidden("农业农村部门账号仅用于耕地分类管理")
        return view(*args, **kwargs)

    return wrapper


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes | str, field: str = "_"):
    """Strict JSON: no NaN/Infinity, and nesting too deep is a 400, not a crash."""
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ValidationError("请求内容不是合法的 JSON", {field: "JSON 解析失败"}) from None
    where = _nul_path(data, "" if field == "_" else field)
    if where is not None:
        # Filings wrap their fields in "data": name the field as the form does.
        where = where.removeprefix("data.") or field
        raise ValidationError(
            "请求内容含有无法保存的字符（NUL 或不成对的代理项）", {where: "含有无法保存的字符"}
        )
    return data


def _unstorable(text: str) -> bool:
    """A NUL (PostgreSQL cannot store one) or a lone surrogate: JSON can say
    ``"\\ud800"``, UTF-8 cannot encode it, and no database column can hold it."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _nul_path(value, path: str, depth: int = 0) -> str | None:
    """Where the first text no database can store is, or None."""
    if isinstance(value, str):
        return path if _unstorable(value) else None
    if depth > 50:
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if _unstorable(str(k)):
                return sub
            found = _nul_path(v, sub, depth + 1)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _nul_path(v, f"{path}[{i}]", depth + 1)
            if found is not None:
                return found
    return None


def json_body():
    # application/json only: Flask's is_json would also take any "+json" type, which
    # the API description does not offer (schemathesis sent one and was answered 200).
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("请求体须为 JSON（Content-Type: application/json）")
    return parse_json(request.get_data(cache=True))


def only_args(*names: str) -> None:
    """Query parameters other than ``names`` are a 400 naming them."""
    unknown = set(request.args) - set(names)
    if unknown:
        raise ValidationError("不支持的查询参数", {k: "不支持的查询参数" for k in sorted(unknown)})


def page_args() -> tuple[int, int]:
    """``page`` (1–100000) and ``per_page`` (1–100, default 20); anything else, an
    empty value included, is a 400. ASCII digits only: "²".isdigit() is true but
    int("²") raises."""

    def number(name, default, high):
        if name not in request.args:
            return default
        raw = request.args[name]
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 7 or not 1 <= int(raw) <= high:
            raise ValidationError(f"{name} 须为 1–{high} 的整数", {name: "取值无效"})
        return int(raw)

    return number("page", 1, 100_000), number("per_page", 20, 100)


def bureau_only(user):
    if user.role != "bureau":
        raise Forbidden("仅限生态环境局工作人员")


# ---------------------------------------------------------------- auth


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.post("/tokens")
@limiter.limit(_login_limit)
def create_token():
    data = json_body()
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("username"), str)
        or not isinstance(data.get("password"), str)
    ):
        raise ValidationError(
            "须提供 username 和 password", {"username": "必填", "password": "必填"}
        )
    user = auth_service.authenticate(data["username"][:200], data["password"][:1000])
    token, row = auth_service.issue_token(user)
    return jsonify({"token": token, "expires_at": clock.iso(row.expires_at)}), 201


@bp.get("/me")
@login_required
def me():
    return jsonify(auth_service.me_json(g.user))


# ---------------------------------------------------------------- screening


@bp.post("/screening")
@login_required
def screening():
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("请求体须为 JSON 对象")
    unknown = set(data) - {"land_category", "samples", "backgrounds"}
    if unknown:
        raise ValidationError("不允许的字段", {k: "不允许的字段" for k in sorted(unknown)})
    return jsonify(
        screening_service.screen(
            data.get("land_category"), data.get("samples"), data.get("backgrounds")
        )
    )


# ---------------------------------------------------------------- sites


@bp.post("/sites")
@login_required
def register_site():
    site = site_service.register_site(g.user, json_body())
    case = site.cases[0]
    return (
        jsonify(
            {
                "code": site.code,
                "land_category": site.land_category,
                "case": {"id": case.id, "state": case.state, "version": case.version},
            }
        ),
        201,
    )


@bp.get("/sites/<code>")
@login_required
def get_site(code):
    site = site_service.get_site(code)
    visible = []
    for case in site.cases:
        caps = case_service.capacities(g.user, case)
        if caps:
            visible.append(case_json.summary_json(case))
    if not visible:
        security_log.event("authz_fail", user=g.user, object=f"site:{code}")
        raise NotFound("地块不存在")
    return jsonify({**site_service.to_json(site), "cases": visible})


@bp.post("/sites/<code>/use-change")
@login_required
def change_site_use(code):
    """DESIGN.md §10: the bureau records a new planned use; 200 with the site."""
    site = use_change_service.change_use(g.user, code, json_body())
    return jsonify(site_service.to_json(site))


# ---------------------------------------------------------------- cases


@bp.get("/cases")
@login_required
def list_cases():
    page, per_page = page_args()
    state = request.args.get("state") or None
    result = case_service.list_for(g.user, state=state, page=page, per_page=per_page)
    return jsonify(
        {
            "items": [case_json.summary_json(c) for c in result.items],
            "total": result.total,
            "page": result.page,
        }
    )


@bp.get("/cases/<int:case_id>")
@login_required
def get_case(case_id):
    # Kept per (caller, case) until an event of this case, or one without a case,
    # is recorded (issue 19: not until any event anywhere): what a caller may see
    # and do on a case changes only with such an event (an assignment, a hand-over,
    # a ban, a filing, a decision) or with the day. The caller's role and unit are
    # in the key.
    user = g.user
    who = (user.id, user.role, user.department, user.region_code, user.party_id)
    body = response_cache.memo("case_json", _case_json, case_id, who,
                               scopes=(scopes.ALL, scopes.case(case_id)))  # fmt: skip
    return current_app.response_class(body, mimetype="application/json")


def _case_json(case_id: int, _who) -> bytes:
    case, caps = case_service.load(g.user, case_id)
    return jsonify(case_json.to_json(case, g.user, caps)).get_data()


@bp.post("/cases/<int:case_id>/actions/<action>")
@login_required
def case_action(case_id, action):
    case = case_service.act(g.user, case_id, action, json_body())
    return jsonify(case_json.to_json(case, g.user))


@bp.post("/cases/<int:case_id>/filings")
@login_required
def create_filing(case_id):
    key = request.headers.get("Idempotency-Key")
    if request.mimetype == "multipart/form-data":
        kind = request.form.get("kind")
        data = parse_json(request.form.get("data", "{}"), "data")
        files = [
            filing_service.Upload(name=f.filename or "document.pdf", data=f.read())
            for f in request.files.getlist("files")
            if f.filename or f.content_length
        ]
        samples = request.files.get("samples")
        samples_csv = samples.read() if samples is not None else None
        samples_name = samples.filename if samples is not None else None
    else:
        body = json_body()
        if not isinstance(body, dict):
            raise ValidationError("请求体须为 JSON 对象")
        unknown = set(body) - {"kind", "data"}
        if unknown:
            raise ValidationError("不允许的字段", {k: "不允许的字段" for k in sorted(unknown)})
        kind, data, files, samples_csv = body.get("kind"), body.get("data"), [], None
        samples_name = None
    filing, created = filing_service.file(
        g.user,
        case_id,
        kind,
        data,
        files=files,
        samples_csv=samples_csv,
        idempotency_key=key,
        samples_name=samples_name,
    )
    body = filing_service.filing_json(filing)
    if filing.kind == "survey_report":
        body["exceedances"] = filing_service.exceedances(filing.id)
    return jsonify(body), 201 if created else 200


@bp.get("/cases/<int:case_id>/filings")
@login_required
def list_filings(case_id):
    case, caps = case_service.load(g.user, case_id)
    cutoff = case_service.history_cutoff(g.user, case) if caps == {"former_party"} else None
    return jsonify({"items": filing_service.list_json(case_id, until=cutoff)})


@bp.get("/cases/<int:case_id>/ledger")
@login_required
def case_ledger(case_id):
    case, caps = case_service.load(g.user, case_id)
    events = ledger_service.case_events(case_id)
    if caps == {"former_party"}:
        cutoff = ledger_service.iso(case_service.history_cutoff(g.user, case))
        events = [e for e in events if e.at <= cutoff]
    return jsonify({"events": [ledger_service.to_json(e) for e in events]})


@bp.post("/cases/<int:case_id>/assignments")
@login_required
def create_assignment(case_id):
    assignment = case_service.assign(g.user, case_id, json_body())
    return jsonify(case_json.assignment_json(assignment)), 201


# ---------------------------------------------------------------- manifests


@bp.post("/cases/<int:case_id>/manifests")
@login_required
def create_manifest(case_id):
    manifest = manifest_service.create(g.user, case_id, json_body())
    return jsonify(manifest_service.to_json(manifest)), 201


@bp.get("/cases/<int:case_id>/manifests")
@login_required
def case_manifests(case_id):
    rows = manifest_service.for_case_seen_by(g.user, case_id)
    return jsonify({"items": [manifest_service.to_json(m) for m in rows]})


@bp.get("/manifests")
@login_required
def list_manifests():
    only_args("status", "page", "per_page")
    page, per_page = page_args()
    status = request.args.get("status") or None
    if status is not None and status not in MANIFEST_STATUSES:
        msg = f"status 须为 {', '.join(MANIFEST_STATUSES)} 之一"
        raise ValidationError(msg, {"status": msg})
    result = manifest_service.list_for(g.user, status=status, page=page, per_page=per_page)
    return jsonify(
        {
            "items": [manifest_service.to_json(m) for m in result.items],
            "total": result.total,
            "page": result.page,
        }
    )


@bp.get("/manifests/<int:manifest_id>")
@login_required
def get_manifest(manifest_id):
    manifest, _ = manifest_service.load(g.user, manifest_id)
    return jsonify(manifest_service.to_json(manifest))


@bp.post("/manifests/<int:manifest_id>/<step>")
@login_required
def manifest_step(manifest_id, step):
    steps = {
        "dispatch": manifest_service.dispatch,
        "receive": manifest_service.receive,
        "resolve": manifest_service.resolve,
        "acknowledge": manifest_service.acknowledge,
    }
    if step not in steps:
        raise NotFound(f"没有名为 {step} 的操作")
    manifest = steps[step](g.user, manifest_id, json_body())
    return jsonify(manifest_service.to_json(manifest))


# ---------------------------------------------------------------- parties, ledger


@bp.post("/parties")
@login_required
def create_party():
    if g.user.role not in ("bureau", "admin"):
        raise Forbidden("只有生态环境局或管理员可以登记单位")
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("请求体须为 JSON 对象")
    unknown = set(data) - {"name", "credit_code", "kind"}
    if unknown:
        raise ValidationError("不允许的字段", {k: "不允许的字段" for k in sorted(unknown)})
    party = party_service.create_party(
        name=data.get("name") if isinstance(data.get("name"), str) else "",
        credit_code=data.get("credit_code") if isinstance(data.get("credit_code"), str) else "",
        kind=data.get("kind", "enterprise"),
        actor=g.user,
    )
    return jsonify(party_service.to_json(party)), 201


@bp.get("/parties/<ref>")
@login_required
def get_party(ref):
    party = responsibility_service._party_ref(ref)
    return jsonify(party_service.to_json(party))


@bp.post("/parties/<ref>/succession")
@login_required
def party_succession(ref):
    return jsonify(responsibility_service.succession(g.user, ref, json_body()))


@bp.post("/parties/<ref>/dissolution")
@login_required
def party_dissolution(ref):
    return jsonify(responsibility_service.fall_to_government(g.user, ref, json_body()))


@bp.post("/parties/<ref>/ban")
@login_required
def party_ban(ref):
    party = responsibility_service._party_ref(ref)
    return jsonify(party_service.to_json(party_service.ban(g.user, party, json_body())))


@bp.post("/parties/<ref>/ban/lift")
@login_required
def party_lift_ban(ref):
    party = responsibility_service._party_ref(ref)
    return jsonify(party_service.to_json(party_service.lift_ban(g.user, party, json_body())))


@bp.get("/parties/<ref>/credit")
@login_required
def party_credit(ref):
    party = responsibility_service._party_ref(ref)
    full = g.user.role in ("bureau", "admin") or g.user.party_id == party.id
    return jsonify(party_service.credit_record(party, public=not full))


@bp.get("/public/parties/<code>/credit")
def public_party_credit(code):
    party = party_service.get_or_404(code)
    return jsonify(party_service.credit_record(party, public=True))


# ---------------------------------------------------------------- responsibility


@bp.post("/cases/<int:case_id>/determinations")
@login_required
def propose_determination(case_id):
    det = responsibility_service.propose_determination(g.user, case_id, json_body())
    return jsonify(responsibility_service.determination_json(det)), 201


@bp.post("/determinations/<int:determination_id>/sign")
@login_required
def sign_determination(determination_id):
    det = responsibility_service.sign_determination(g.user, determination_id)
    return jsonify(responsibility_service.determination_json(det))


@bp.post("/sites/<code>/transfer")
@login_required
def transfer_site(code):
    handover = responsibility_service.transfer_land(g.user, code, json_body())
    return jsonify(responsibility_service.handover_json(handover)), 201


@bp.get("/cases/<int:case_id>/accountability")
@login_required
def case_accountability(case_id):
    return jsonify(accountability_service.for_case(g.user, case_id))


# ---------------------------------------------------------------- published ledger heads


@bp.get("/public/ledger/heads")
def public_ledger_heads():
    ledger_heads.publish_today()
    page, per_page = page_args()
    result = db.paginate(
        select(LedgerHead).order_by(LedgerHead.day.desc()),
        page=page, per_page=per_page, max_per_page=100, error_out=False,
    )  # fmt: skip
    return jsonify(
        {
            "items": [ledger_heads.head_row_file(h) for h in result.items],
            "total": result.total,
            "page": result.page,
            "key": ledger_heads.public_key_info(),
        }
    )


@bp.get("/public/ledger/head")
def public_ledger_head():
    """The current head as a signed file an auditor can keep."""
    response = jsonify(ledger_heads.current_head_file())
    response.headers["Content-Disposition"] = "attachment; filename=ledger-head.json"
    return response


@bp.get("/ledger/verify")
@login_required
def verify_ledger():
    if g.user.role not in ("bureau", "admin"):
        raise Forbidden("仅限生态环境局工作人员")
    result = ledger_service.verify()
    return jsonify({k: result[k] for k in ("ok", "events", "head", "first_bad_seq", "reason")})


# ---------------------------------------------------------------- description


@bp.get("/openapi.json")
def openapi_document():
    from app.api.openapi import spec

    return jsonify(spec())


@bp.get("/docs")
def api_docs():
    """A readable page of the API for integrators (no external assets)."""
    from flask import render_template

    from app.api.openapi import spec

    return render_template("api/docs.html", spec=spec())
