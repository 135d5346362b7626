"""Every side effect of a ledger event, in one place (see ``events``).

Read this file to learn what happens after something is recorded. Services that
record events import none of the modules below; this module imports them.
"""

from __future__ import annotations

from app.extensions import db
from app.models import Case
from app.services import deadlines, documents, events, notifications, regions, suspects
from app.services.public import notice
from workflows import ACTION_LABELS_ZH, STATE_LABELS_ZH
from workflows.filings import KINDS as FILING_KINDS


@events.on(events.ANY)
def prerender_notice_board(event):
    """A plot's works notice board rendered ahead of its readers (issue 19)."""
    return notice.prerender_after(event)


@events.on(*FILING_KINDS)
def issue_filing_receipt(event):
    """备案回执 for every filing."""
    return documents.issue_later("filing_receipt", event, filing_id=event.detail["filing_id"])


@events.on("approve", "require_remediation", "require_control")
def issue_approval_receipt(event):
    """审查决定回执 for every numbered decision (DESIGN §10): approvals and the
    bureau's choice of route (修复 or 风险管控)."""
    return documents.issue_later("approval_receipt", event)


@events.on("manifest_reported")
def issue_manifest(event):
    """The 转运联单 itself, once the transfer is reported."""
    return documents.issue_later("manifest", event, manifest_id=documents.manifest_id_for(event))


# ---------------------------------------------------------------- statutory clocks


@events.on(events.ANY)
def keep_deadlines(event):
    """DESIGN §11: every case event may close deadlines it meets and open new ones."""
    deadlines.on_event(event)


# ---------------------------------------------------------------- the inbox


def _case(event) -> Case | None:
    return db.session.get(Case, event.case_id) if event.case_id else None


def _plot(case: Case) -> dict:
    return {"plot": case.site.name, "code": case.site.code}


@events.on("return")
def notify_returned(event):
    """The filer's side learns its report came back, and why."""
    case = _case(event)
    owner = "evaluator" if event.to_state == "evaluation" else "responsible"
    params = {**_plot(case), "stage": STATE_LABELS_ZH[event.from_state],
              "comment": (event.detail or {}).get("comment") or ""}  # fmt: skip
    notifications.notify(notifications.owner_users(case, owner), "returned", params,
                         case_id=case.id)  # fmt: skip


@events.on("approve", "require_remediation", "require_control")
def notify_decided(event):
    """The landholder and the responsible party learn of every decision on their case."""
    case = _case(event)
    number = (event.detail or {}).get("decision")
    params = {**_plot(case), "action": ACTION_LABELS_ZH.get(event.action, event.action),
              "from_state": STATE_LABELS_ZH[event.from_state],
              "to_state": STATE_LABELS_ZH[event.to_state],
              "number": number or ""}  # fmt: skip
    notifications.notify(notifications.owner_users(case, "responsible"), "decided", params,
                         case_id=case.id)  # fmt: skip


@events.on("reopen")
def notify_reopened(event):
    case = _case(event)
    params = {**_plot(case), "comment": (event.detail or {}).get("comment") or ""}
    notifications.notify(notifications.owner_users(case, "responsible"), "reopened", params,
                         case_id=case.id)  # fmt: skip


@events.on("manifest_received")
def notify_discrepancy(event):
    """A received quantity far off the dispatch: the bureau and the contractor."""
    detail = event.detail or {}
    if detail.get("status") != "discrepancy":
        return
    case = _case(event)
    users = notifications.bureau_users(case.site.county_code) + notifications.owner_users(
        case, "contractor"
    )
    params = {**_plot(case), "manifest": detail.get("manifest"),
              "pct": detail.get("difference_pct")}  # fmt: skip
    notifications.notify(users, "discrepancy", params, case_id=case.id)


ROLE_LABELS_ZH = {"contractor": "修复施工单位", "evaluator": "效果评估单位", "surveyor": "调查单位"}


@events.on("assign", "remediation_plan")
def notify_assigned(event):
    """The engaged unit's users learn they may now act on the case (an assignment,
    or the contractor named by a remediation plan)."""
    detail = dict(event.detail or {})
    if event.action == "remediation_plan":
        if not detail.get("assigns_contractor"):
            return
        detail["role"] = "contractor"
    case = _case(event)
    party = notifications.assigned_party(case.id, detail.get("role"))
    params = {**_plot(case), "role": ROLE_LABELS_ZH.get(detail.get("role"), detail.get("role"))}
    notifications.notify(notifications.party_users({party} if party else set()), "assigned",
                         params, case_id=case.id)  # fmt: skip


# ---------------------------------------------------------------- before the survey (§12)


@events.on("survey_ordered")
def notify_survey_ordered(event):
    """The one who must survey learns of the order and its date."""
    case = _case(event)
    params = {**_plot(case), "due": event.detail["due"]}
    notifications.notify(notifications.owner_users(case, "responsible"), "survey_ordered",
                         params, case_id=case.id)  # fmt: skip


@events.on("submit")
def open_ordered_case(event):
    """An ordered survey's report came in: the suspected plot is an open case."""
    suspects.on_survey_submitted(event)


@events.on("unit_self_monitoring")
def notify_exceedance(event):
    """Self-monitoring above the screening values is flagged to the county's bureau."""
    detail = event.detail or {}
    if detail.get("exceedances"):
        params = {"unit": detail["name"], "year": detail["year"], "count": detail["exceedances"]}
        notifications.notify(
            notifications.bureau_users(detail["county_code"]), "exceedance", params
        )


@events.on("manifest_reported")
def notify_transfer_incoming(event):
    """A transfer into another county of the platform: that county's bureau is told
    at once (《污染地块土壤环境管理办法》: 转运前向接收地生态环境主管部门报告)."""
    detail = event.detail or {}
    dest = detail.get("destination_county_code")
    case = _case(event)
    if not dest or dest == case.site.county_code:
        return
    params = {**_plot(case), "origin": regions.name(case.site.county_code),
              "t": detail.get("quantity_t"), "facility": detail.get("destination_name") or "",
              "manifest": detail.get("manifest"), "start": detail.get("planned_start")}  # fmt: skip
    # No case link: the destination's bureau sees the manifest, not the case.
    notifications.notify(notifications.bureau_users(dest), "transfer_incoming", params)


# ---------------------------------------------------------------- risk control (issue 15)


@events.on("control_alert")
def notify_control_alert(event):
    """Monitoring above the control plan's limits: the bureau and the responsible
    party's users hear of it at once."""
    case = _case(event)
    params = {**_plot(case), "count": len(event.detail["exceedances"])}
    users = notifications.bureau_users(case.site.county_code) + notifications.owner_users(
        case, "responsible"
    )
    notifications.notify(users, "control_alert", params, case_id=case.id)
