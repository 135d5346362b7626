"""The bureau's review desk (审查工作台)."""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

import workflows
from app import casepage
from app.api.errors import log_service_error
from app.errors import ServiceError
from app.extensions import db
from app.models import Case, Deadline, Manifest, Party, PlotCount, Site
from app.response_cache import memo
from app.review import bp
from app.review.attempts import attempt
from app.review.forms import (
    AcknowledgeForm,
    BanForm,
    PartyForm,
    ResolveForm,
    SuccessionForm,
    UseChangeForm,
)
from app.services import cases as case_service
from app.services import (
    clock,
    control,
    jurisdiction,
    ledger,
    ledger_heads,
    manifests,
    parties,
    regions,
    responsibility,
    use_change,
)
from app.services import deadlines as deadline_service
from workflows import deadlines as deadline_rules

# Cases waiting on the bureau, in the order the desk works through them.
WAITING_STATES = ("survey_review", "risk_assessment_review", "plan_review", "evaluation_review",
                  "listed")  # fmt: skip


@bp.before_request
@login_required
def _bureau_only():
    if current_user.role not in ("bureau", "admin"):
        abort(403)
    if current_user.department == "agriculture":
        abort(403)  # agriculture officers work on cultivated land only (/farmland)


def _user():
    return current_user._get_current_object()


def _bureau_cases():
    return select(Case).join(Site).where(jurisdiction.clause(_user(), Site.county_code))


def _queue_counts(counties: frozenset | None) -> dict:
    """Cases waiting per stage in the officer's counties: a waiting case is its
    plot's current case, so the plot counts kept with every change hold the answer
    (issue 19: a few rows instead of counting thousands of cases)."""
    rows = db.session.execute(
        select(PlotCount.state, func.sum(PlotCount.n))
        .where(
            PlotCount.state.in_(WAITING_STATES),
            jurisdiction.in_counties(counties, PlotCount.county_code),
        )
        .group_by(PlotCount.state)
    ).all()
    return {state: int(n) for state, n in rows if n}


def _open_discrepancies(counties: frozenset | None) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Manifest).where(
            Manifest.status == "discrepancy",
            or_(jurisdiction.in_counties(counties, Manifest.origin_county_code),
                jurisdiction.in_counties(counties, Manifest.destination_county_code)),
        )
    )  # fmt: skip


class QueuePage(Pagination):
    """The desk's queue, in the order the desk works through it: soonest statutory
    review deadline first (§11), overdue ones on top; cases without a clock (listed,
    awaiting the route decision) after, longest waiting first.

    Issue 19: two runs read in that order from indexes instead of one sort of every
    waiting case of the county -- the open review clocks by due day
    (``ix_deadlines_open_review``), then the few cases without one by the day they
    entered their state. ``total`` comes from the kept counts."""

    def _clocked(self):
        q = self._query_args
        return (
            select(Case.id)
            .join(Deadline, Deadline.case_id == Case.id)
            .where(_open_review(), Case.state.in_(q["stages"]),
                   jurisdiction.in_counties(q["counties"], Deadline.county_code))
            .order_by(Deadline.due, Case.state_since, Case.id)
        )  # fmt: skip

    def _unclocked(self):
        q = self._query_args
        return (
            select(Case.id)
            .join(Site, Site.id == Case.site_id)
            .where(Case.state.in_(q["stages"]),
                   jurisdiction.in_counties(q["counties"], Site.county_code),
                   ~exists().where(Deadline.case_id == Case.id, _open_review()))
            .order_by(Case.state_since, Case.id)
        )  # fmt: skip

    def _query_items(self) -> list:
        clocked = self._clocked()
        clocked_total = db.session.scalar(
            select(func.count()).select_from(clocked.order_by(None).subquery())
        )
        start, end = self._query_offset, self._query_offset + self.per_page
        ids: list[int] = []
        if start < clocked_total:
            ids += db.session.scalars(
                clocked.offset(start).limit(min(end, clocked_total) - start)
            ).all()
        if end > clocked_total:
            first = max(start, clocked_total)
            # Only a page past the clocks reads the rest (listed cases, mostly).
            ids += db.session.scalars(
                self._unclocked().offset(first - clocked_total).limit(end - first)
            ).all()
        if not ids:
            return []
        found = {
            c.id: c
            for c in db.session.scalars(
                select(Case).where(Case.id.in_(ids))
                .options(selectinload(Case.site), selectinload(Case.responsible_party))
            )
        }  # fmt: skip
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def _query_count(self) -> int:
        return self._query_args["total"]


def _open_review():
    return Deadline.closed_on.is_(None) & (Deadline.kind == "review")


@bp.get("/")
def queue():
    stage = request.args.get("stage") or None
    if stage and stage not in WAITING_STATES:
        abort(400)
    counties = jurisdiction.counties(_user())
    counts = memo("queue_counts", _queue_counts, counties)
    # The tab counts already hold the total: no second count over the same rows.
    page = QueuePage(
        counties=counties, stages=[stage] if stage else list(WAITING_STATES),
        total=counts.get(stage, 0) if stage else sum(counts.values()),
        per_page=30, max_per_page=100, error_out=False,
    )  # fmt: skip
    open_discrepancies = memo("open_discrepancies", _open_discrepancies, counties)
    clocks = deadline_service.open_for_cases([c.id for c in page.items])
    return render_template(
        "review/queue.html", page=page, counts=counts, stage=stage, stages=WAITING_STATES,
        open_discrepancies=open_discrepancies, clocks=clocks, today=clock.today(),
    )  # fmt: skip


@bp.get("/deadlines")
def deadlines():
    """The bureau's agenda (期限台账): open deadlines of the county, soonest first."""
    owner = request.args.get("owner") or None
    kind = request.args.get("kind") or None
    overdue = request.args.get("overdue") == "1"
    if (owner and owner not in deadline_rules.OWNERS) or (
        kind and kind not in deadline_rules.KINDS
    ):
        abort(400)
    today = clock.today()
    query = deadline_service.agenda_query(jurisdiction.counties(_user()), owner=owner, kind=kind,
                                          overdue=overdue, today=today)  # fmt: skip
    page = db.paginate(query.order_by(Deadline.due, Deadline.id), per_page=50, max_per_page=200,
                       error_out=False)  # fmt: skip
    return render_template(
        "review/deadlines.html", page=page, owner=owner, kind=kind, overdue=overdue,
        today=today, rules=deadline_rules, to_json=deadline_service.to_json,
        plots=deadline_service.plots_of([d.case_id for d in page.items]),
    )  # fmt: skip


@bp.get("/cases")
def cases():
    state = request.args.get("state") or None
    township = request.args.get("township") or None
    q = (request.args.get("q") or "").strip()[:100]
    if state and state not in workflows.STATES:
        abort(400)
    query = _bureau_cases().options(selectinload(Case.site))
    if state:
        query = query.where(Case.state == state)
    if township:
        query = query.where(Site.township == township)
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(Site.name.like(like), Site.code.like(like), Site.address.like(like))
        )
    page = db.paginate(query.order_by(Case.id.desc()), per_page=30, max_per_page=100,
                       error_out=False)  # fmt: skip
    townships = db.session.scalars(select(Site.township).distinct().order_by(Site.township)).all()
    alerted = control.open_alert_cases([c.id for c in page.items])  # issue 15: marked rows
    return render_template("review/cases.html", page=page, state=state, township=township, q=q,
                           townships=townships, alerted=alerted)  # fmt: skip


@bp.get("/cases/<int:case_id>")
def case(case_id):
    return casepage.render_case("review", case_id)


@bp.get("/cases/<int:case_id>/dossier.pdf")
def dossier(case_id):
    return casepage.render_dossier(case_id)


@bp.post("/cases/<int:case_id>/act")
def act(case_id):
    return casepage.handle_action("review", case_id)


@bp.post("/cases/<int:case_id>/assign")
def assign(case_id):
    abort(403)


@bp.post("/cases/<int:case_id>/use-change")
def change_use(case_id):
    """DESIGN §10: a new planned use; a released plot made more sensitive reopens."""
    if _user().role != "bureau":  # admins read the desk; they record no decisions
        abort(403)
    case, _caps = case_service.load(_user(), case_id)
    was = case.state
    form = UseChangeForm()
    if form.validate_on_submit():
        try:
            use_change.change_use(
                _user(), case.site.code, {"planned_use": form.planned_use.data,
                                          "basis": form.basis.data}
            )  # fmt: skip
        except ServiceError as exc:
            log_service_error(exc)
            for key, message in (exc.fields or {}).items():
                if key in form:
                    form[key].errors = [message]
            flash(exc.message, "danger")
        else:
            db.session.refresh(case)
            if was == "released" and case.state == "survey":
                flash("已登记规划用途变更：新用途比原调查评估时更敏感，地块已重新进入土壤污染状况调查。",
                      "warning")  # fmt: skip
            else:
                flash("已登记规划用途变更，样品已按新的用地类别重新筛选。", "success")
            return redirect(url_for("review.case", case_id=case_id))
    return casepage.render_case("review", case_id, status=400, use_change_form=form)


# ---------------------------------------------------------------- manifests


@bp.get("/manifests", endpoint="manifests")
def manifests_view():
    status = request.args.get("status") or None
    if status and status not in manifests.STATUS_LABELS_ZH:
        abort(400)
    result = manifests.list_for(_user(), status=status, page=request.args.get("page", 1, type=int),
                                per_page=50)  # fmt: skip
    return render_template("review/manifests.html", result=result, status=status,
                           form=ResolveForm(), ack_form=AcknowledgeForm(),
                           served=regions.served_codes(), mine=jurisdiction.counties(_user()))  # fmt: skip


@bp.post("/manifests/<int:manifest_id>/resolve")
def resolve(manifest_id):
    form = ResolveForm()
    if not form.validate_on_submit():
        flash("处理意见必填。", "danger")
    else:
        try:
            m = manifests.resolve(_user(), manifest_id, {"comment": form.comment.data})
        except ServiceError as exc:
            log_service_error(exc)
            flash(exc.message, "danger")
        else:
            flash(f"联单 {m.number} 的数量差异已处理。", "success")
    return redirect(url_for("review.manifests", status="discrepancy"))


@bp.post("/manifests/<int:manifest_id>/acknowledge")
def acknowledge(manifest_id):
    """The destination county's bureau confirms it was told of a transfer into it."""
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        flash("意见不能超过 5000 字。", "danger")
        return redirect(url_for("review.manifests"))
    comment = (form.comment.data or "").strip()
    m = attempt(None, lambda: manifests.acknowledge(_user(), manifest_id,
                                                    {"comment": comment} if comment else {}))  # fmt: skip
    if m is not None:
        flash(f"已确认知悉跨县转运联单 {m.number}。", "success")
    return redirect(url_for("review.manifests"))


# ---------------------------------------------------------------- parties


@bp.route("/parties", methods=["GET", "POST"], endpoint="parties")
def parties_view():
    form = PartyForm()
    if form.validate_on_submit():
        try:
            party = parties.create_party(
                name=form.name.data, credit_code=form.credit_code.data, kind=form.kind.data,
                actor=_user(),
            )  # fmt: skip
        except ServiceError as exc:
            log_service_error(exc)
            for key, msg in (exc.fields or {}).items():
                getattr(form, key).errors.append(msg)
        else:
            flash(f"已登记 {party.name}。", "success")
            return redirect(url_for("review.party", party_id=party.id))
    q = (request.args.get("q") or "").strip()[:100]
    query = select(Party).order_by(Party.name)
    if q:
        query = query.where(or_(Party.name.like(f"%{q}%"), Party.credit_code.like(f"%{q}%")))
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("review/parties.html", form=form, page=page, q=q), (
        400 if form.errors else 200
    )


@bp.route("/parties/<int:party_id>", methods=["GET", "POST"])
def party(party_id):
    party = db.get_or_404(Party, party_id)
    ban_form, succession_form = BanForm(prefix="ban"), SuccessionForm(prefix="succ")
    if ban_form.submit.data and ban_form.validate_on_submit():
        until = (
            "lifelong"
            if ban_form.lifelong.data
            else (ban_form.until.data.isoformat() if ban_form.until.data else "")
        )
        try:
            parties.ban(_user(), party, {"until": until, "reason": ban_form.reason.data})
        except ServiceError as exc:
            log_service_error(exc)
            flash(exc.message, "danger")
        else:
            flash("已记录禁入决定。", "success")
            return redirect(url_for("review.party", party_id=party.id))
    if succession_form.submit.data and succession_form.validate_on_submit():
        try:
            result = responsibility.succession(
                _user(), str(party.id),
                {"successor_credit_code": succession_form.successor_credit_code.data},
            )  # fmt: skip
        except ServiceError as exc:
            log_service_error(exc)
            flash(exc.message, "danger")
        else:
            flash(
                f"已登记承继，{len(result['moved_cases'])} 个未办结案件转由承继单位负责。",
                "success",
            )
            return redirect(url_for("review.party", party_id=party.id))
    record = parties.credit_record(party, public=False)
    return render_template("review/party.html", party=party, record=record, ban_form=ban_form,
                           succession_form=succession_form)  # fmt: skip


# ---------------------------------------------------------------- ledger


@bp.get("/ledger", endpoint="ledger")
def ledger_view():
    result = ledger.verify() if request.args.get("verify") else None
    recent = ledger.recent(jurisdiction.counties(_user()), limit=50)
    seq, head = ledger.head()
    return render_template("review/ledger.html", result=result, recent=recent, seq=seq,
                           head=head, key=ledger_heads.public_key_info())  # fmt: skip


@bp.get("/ledger/head.json")
def ledger_head_file():
    body = json.dumps(ledger_heads.current_head_file(), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=ledger-head.json"},
    )
