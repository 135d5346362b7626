"""Public pages: parse the query, call one service, render."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

import workflows
from app import choices
from app.api.errors import log_service_error
from app.errors import ServiceError
from app.extensions import limiter
from app.public import bp, charts
from app.public.forms import (
    TipoffForm,
    TrackForm,
    check_timestamp,
    county_choices,
    issue_timestamp,
    township_choices,
)
from app.response_cache import cached, memo
from app.services import clock, jurisdiction, regions, scopes
from app.services import control as control_service
from app.services import key_units as key_unit_service
from app.services import public as public_service
from app.services import tipoffs as tipoff_service
from app.services.public import indicators as indicator_service
from app.services.public import notice as notice_service
from app.services.sites import PLANNED_USE_ZH, cleared_for_json
from app.ui import translated
from workflows.presurvey import UNIT_STATUS_LABELS_ZH

PER_PAGE = 20
# The register's filter choices (townships, pollutants with public exceedances) are
# recomputed at most this often: a scan of every exceeding sample at province scale.
FILTER_OPTIONS_MAX_AGE = 120
public_url = public_service.public_url


def _page_arg() -> int:
    raw = request.args.get("page", "")
    if not raw:
        return 1
    # isascii: "²".isdigit() is true but int("²") raises.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100_000:
        abort(400)
    return int(raw)


def _map_config() -> dict:
    return {
        "tiles": current_app.config.get("MAP_TILE_URL") or "",
        "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
    }


@bp.app_context_processor
def public_helpers():
    from app import ui
    from app.services import clock

    return {
        "now_cst": ui.cst(clock.now()),
        "public_url": public_url,
        "PHASES": public_service.PHASES,
        "PHASE_LABELS": public_service.PHASE_LABELS_ZH,
        "PUBLIC_LEVEL_LABELS": public_service.LEVEL_LABELS_ZH,
        # The counties this platform serves (issue 18): a county select and a
        # county column appear only when there is more than one.
        "served_counties": regions.served,
    }


# ---------------------------------------------------------------- register


@bp.get("/")
@cached(scopes=lambda: scopes.for_register(request.args))
def index():
    filters = public_service.parse_filters(request.args)
    page = _page_arg()
    result = public_service.search(filters, page=page, per_page=PER_PAGE)
    scope = frozenset({filters.county}) if filters.county else None
    return render_template(
        "public/index.html",
        filters=filters,
        result=result,
        options=_filter_options(filters),
        summary=memo("summary", public_service.summary, scope),
        map_config=_map_config(),
    )


def _filter_options(filters) -> dict:
    return memo("filter_options", public_service.filter_options, filters.county,
                max_age=FILTER_OPTIONS_MAX_AGE)  # fmt: skip


@bp.get("/map")
@cached(scopes=lambda: scopes.for_register(request.args))
def map_view():
    filters = public_service.parse_filters(request.args)
    result = None
    if filters.near:
        result = public_service.search(filters, page=1, per_page=50)
    return render_template(
        "public/map.html",
        filters=filters,
        result=result,
        options=_filter_options(filters),
        map_config=_map_config(),
    )


# ---------------------------------------------------------------- one plot


@bp.get("/sites/<code>")
@cached(scopes=lambda: scopes.for_plot(request.view_args["code"]))
def site(code):
    row = public_service.get_public(code)
    release = public_service.release(row.case)
    events = public_service.timeline(row.site)
    return render_template(
        "public/site.html",
        row=row,
        site=row.site,
        case=row.case,
        explained=public_service.STATE_EXPLAINED_ZH.get(row.case.state, ""),
        timeline=events,
        reopened=public_service.reopened(events),
        cleared_for=cleared_for_json(row.site),
        board=public_service.notice_board(row.case),
        control_plan=control_service.public_plan(row.case),
        evaluation=public_service.evaluation(row.case),
        release=release,
        progress=public_service.latest_progress(row.case),
        transfers=public_service.manifests_summary(row.case),
        planned_use=PLANNED_USE_ZH.get(row.site.planned_use, row.site.planned_use),
        notice_labels=public_service.NOTICE_LABELS_ZH,
        map_config=_map_config(),
        stages=_stages(row.case.state, release),
    )


def _stages(state: str, release: dict | None) -> list[dict]:
    """The public lifecycle as a stepper: done / current / to come."""
    labels = {
        "survey": "土壤污染状况调查",
        "risk_assessment": "风险评估",
        "not_listed": "无需列入名录",
        "listed": "列入名录",
        "risk_control": "风险管控",
        "plan_filing": "修复方案",
        "works": "修复施工",
        "evaluation": "效果评估",
        "released": "移出名录",
    }
    route = (release or {}).get("route")
    if state in workflows.NON_PUBLIC_STATES:  # reopened: investigated again (§10)
        order = ["survey", "risk_assessment", "listed"]
    elif route == "survey":
        order = ["survey", "not_listed"]
    elif route == "risk_assessment":
        order = ["survey", "risk_assessment", "not_listed"]
    elif state == "risk_control":
        order = ["listed", "risk_control", "evaluation", "released"]
    else:
        order = ["listed", "plan_filing", "works", "evaluation", "released"]
    group = {
        "plan_review": "plan_filing",
        "transfer_reporting": "works",
        "evaluation_review": "evaluation",
        "survey_review": "survey",
        "risk_assessment_review": "risk_assessment",
    }.get(state, state)
    current = order.index(group) if group in order else 0
    return [
        {"key": k, "label": labels[k],
         "status": "done" if i < current or state == "released" else
         ("current" if i == current else "todo")}
        for i, k in enumerate(order)
    ]  # fmt: skip


@bp.get("/sites/<code>/notice.pdf")
# Only renders count (a kept copy costs nothing): one address cannot keep the PDF
# renderer busy (issue 17).
@limiter.limit(lambda: current_app.config["PDF_RENDER_RATE_LIMIT"],
               deduct_when=lambda response: g.get("pdf_rendered", False))  # fmt: skip
@cached(scopes=lambda: scopes.for_plot(request.view_args["code"]))
def notice_pdf(code):
    board = notice_service.prepare(code)
    if request.if_none_match.contains_weak(board.etag):
        return Response(status=304, headers={"ETag": f'"{board.etag}"'})
    # Stored per version of what the board shows (issue 19), usually rendered in the
    # background when the plot changed; only a version not there yet is rendered
    # here, and only those renders count against the address's limit.
    data = notice_service.pdf_bytes(board, on_render=lambda: setattr(g, "pdf_rendered", True))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=notice-{board.row.site.code}.pdf"
    response.headers["ETag"] = f'"{board.etag}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# ---------------------------------------------------------------- indicators


@bp.get("/indicators")
@cached
def indicators():
    data = indicator_service.compute()
    return render_template(
        "public/indicators.html", data=data, overdue_detail=_overdue_detail(None),
        multi_county=len(regions.served()) > 1, **_indicator_charts(data),
    )  # fmt: skip


@bp.get("/indicators/farmland")
@cached
def farmland():
    """The safe-use rate of contaminated cultivated land by township and county:
    aggregates only, never a parcel (issue 21)."""
    from app.services import farmland_indicators
    from app.services.screening import farmland as farmland_standard

    scope, year = farmland_indicators.public_args(request.args)
    this_year = clock.today().year
    return render_template(
        "farmland/indicators.html", result=farmland_indicators.compute(scope, year), year=year,
        years=range(this_year, this_year - 6, -1), standard=farmland_standard,
        labels=farmland_indicators.STATUS_LABELS_ZH, public=True,
    )  # fmt: skip


@bp.get("/counties/<code>")
@cached
def county(code):
    """One served county's figures; a prefecture's or province's page sums the
    served counties below it and lists each (issue 18). Anything else is a 404."""
    division = regions.get(code) if regions.CODE.match(code) else None
    scope = regions.counties_under(code) & regions.served_codes() if division else frozenset()
    if not scope:
        abort(404)
    # The nearest division above that sums more served counties than this page.
    served = regions.served_codes()
    parent = next((regions.get(a) for a in regions.ancestors(code)
                   if len(regions.counties_under(a) & served) > len(scope)), None)  # fmt: skip
    data = indicator_service.compute(scope)
    return render_template(
        "public/county.html", division=division, parent=parent, scope=scope, data=data,
        overdue_detail=_overdue_detail(scope), multi_county=len(scope) > 1,
        **_indicator_charts(data),
    )  # fmt: skip


def _overdue_detail(scope: frozenset[str] | None) -> dict | None:
    """§11: the bureau sees overdue deadlines by township, of the counties it
    oversees (logged-in pages are never kept)."""
    if not (current_user.is_authenticated and current_user.role in ("bureau", "admin")):
        return None
    mine = jurisdiction.counties(current_user)
    if scope is not None and mine is not None:
        scope = scope & mine
    return indicator_service.overdue(mine if scope is None else scope)


def _indicator_charts(data: dict) -> dict:
    state_chart = charts.hbar_chart(
        [(d["label"], d["count"], f"state-fill-{d['state']}") for d in data["by_state"]],
        label="公开地块按状态分布",
    )
    phases = [
        (key, label, f"phase-fill-{key}") for key, label in public_service.PHASE_LABELS_ZH.items()
    ]
    township_chart = charts.stacked_chart(
        [(t["township"], t["phases"]) for t in data["by_township"]],
        phases,
        label="公开地块按乡镇分布",
    )
    rate = charts.rate_chart(data["safe_use"], data["targets"], label="污染地块安全利用率（按年）")
    return {"state_chart": state_chart, "township_chart": township_chart, "rate_chart": rate}


# ---------------------------------------------------------------- open data


@bp.get("/open-data")
@cached
def open_data():
    return render_template(
        "public/open_data.html",
        states=[(s, workflows.STATE_LABELS_ZH[s]) for s in public_service.PUBLIC_STATES],
        columns=public_service.CSV_COLUMNS,
        example=public_service.search(public_service.Filters(), page=1, per_page=1),
        counties=indicator_service.by_county(),
    )


@bp.get("/open-data/sites.csv")
@cached(scopes=lambda: scopes.for_register(request.args))
def sites_csv():
    filters = public_service.parse_filters(request.args)
    response = Response(public_service.csv_bytes(filters), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=sites.csv"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# ---------------------------------------------------------------- tip-offs


def _tipoff_limit() -> str:
    return current_app.config.get("TIPOFF_RATE_LIMIT", "5 per hour")


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(_tipoff_limit, methods=["POST"])
def report():
    form = TipoffForm()
    form.township.choices = township_choices()
    form.county.choices = county_choices()
    problem = None
    if request.method == "GET" and request.args.get("township") in choices.values(
        form.township.choices
    ):
        form.township.data = request.args["township"]
    if request.method == "GET" and request.args.get("county") in choices.values(
        form.county.choices
    ):
        form.county.data = request.args["county"]
    if request.method == "POST":
        if form.website.data:
            problem = "提交未通过校验，请刷新页面后重新填写。"
        elif form.validate_on_submit():
            problem = check_timestamp(request.form.get("issued", ""))
            if problem is None:
                photos = [
                    f.read(tipoff_service.MAX_PHOTO_BYTES + 1)
                    for f in (form.photos.data or [])
                    if f and getattr(f, "filename", "")
                ]
                try:
                    _tipoff, code = tipoff_service.create(
                        township=form.township.data,
                        # Several counties served: the one chosen; else the deployment's.
                        county=form.county.data or None,
                        location=form.location.data,
                        description=form.description.data,
                        lat=form.lat.data,
                        lon=form.lon.data,
                        photos=photos,
                    )
                except ServiceError as exc:
                    log_service_error(exc)
                    problem = exc.message
                else:
                    session["tipoff_code"] = code
                    return redirect(url_for("public.report_thanks"), code=303)
        else:
            problem = "请按提示修改后重新提交。"
    form.issued.data = issue_timestamp()
    status = 400 if problem else 200
    return render_template(
        "public/report.html", form=form, problem=problem, map_config=_map_config()
    ), status


@bp.get("/report/thanks")
def report_thanks():
    code = session.pop("tipoff_code", None)
    if not code:
        return redirect(url_for("public.report"))
    response = Response(render_template("public/report_thanks.html", code=code))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/report/track")
@limiter.limit("30 per minute")
def report_lookup():
    form = TrackForm(request.args)
    if request.args and form.validate():
        canonical = tipoff_service.normalise_code(form.code.data)
        if canonical:
            pretty = "-".join(canonical[i : i + 4] for i in range(0, len(canonical), 4))
            return redirect(url_for("public.report_track", code=pretty))
        form.code.errors = ["查询码格式不对：应为 16 位字母数字，如 ABCD-EFGH-JKMN-PQRS"]
    return render_template("public/report_lookup.html", form=form)


@bp.get("/report/<code>")
@limiter.limit("30 per minute")
def report_track(code):
    tipoff = tipoff_service.find_by_code(code)
    response = Response(
        render_template(
            "public/report_track.html",
            tipoff=tipoff_service.public_json(tipoff),
            labels=tipoff_service.STATUS_LABELS_ZH,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# ---------------------------------------------------------------- key supervised units (§12)


@bp.get("/key-units")
@cached
def key_units():
    """The published list of key supervised units of a year (重点监管单位名录)."""
    year = request.args.get("year") or None
    try:
        result = key_unit_service.published(year, county=request.args.get("county") or None,
                                            per_page=1000)  # fmt: skip
    except ServiceError:
        abort(404)
    return render_template("public/key_units.html", result=result,
                           unit_status_labels=translated(UNIT_STATUS_LABELS_ZH))  # fmt: skip
