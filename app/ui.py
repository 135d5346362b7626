"""Template helpers shared by every blueprint: labels, dates in Beijing time,
and the lifecycle diagram drawn from ``workflows`` itself."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape

from flask import Flask
from markupsafe import Markup

import workflows
from app.services import clock

_NODE_W, _NODE_H, _GAP_X, _GAP_Y = 132, 40, 38, 56


def _layout() -> dict[str, tuple[int, int]]:
    """Longest-path layering over the forward transitions (returns, reopen and
    failed evaluations go backwards and are drawn as back edges)."""
    forward = [
        (t["source"], t["dest"])
        for t in workflows.TRANSITIONS
        if t["dest"] and t["trigger"] not in ("return", "reopen")
    ]
    edges: list[tuple[str, str]] = []
    for src, dst in forward:
        for s in src if isinstance(src, list) else [src]:
            if not (s == "evaluation_review" and dst == "works"):
                edges.append((s, dst))
    layer = {s: 0 for s in workflows.STATES}
    changed = True
    while changed:  # a DAG once back edges are dropped: settles in |V| rounds
        changed = False
        for s, d in edges:
            if d != "released" and layer[d] < layer[s] + 1:
                layer[d] = layer[s] + 1
                changed = True
    layer["released"] = max(layer.values()) + 1
    # The risk-control branch after "listed" is drawn on a row of its own.
    pos = {s: (layer[s], 1 if s == "risk_control" else 0) for s in workflows.STATES}
    return pos


def state_diagram_svg(current: str | None = None, *, labels=None) -> Markup:
    """An SVG of the lifecycle, the current state highlighted."""
    labels = labels or workflows.STATE_LABELS_ZH
    pos = _layout()
    per_row = 7
    placed: dict[str, tuple[float, float]] = {}
    for s, (col, row) in pos.items():
        # A serpentine: the second band runs right to left, so the chain turns
        # a corner instead of jumping back across the page.
        band, c = divmod(col, per_row)
        if band % 2:
            c = per_row - 1 - c
        x = 10 + c * (_NODE_W + _GAP_X)
        y = 10 + (band * 2 + row) * (_NODE_H + _GAP_Y)
        placed[s] = (x, y)
    width = 10 + per_row * (_NODE_W + _GAP_X)
    height = max(y for _, y in placed.values()) + _NODE_H + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="state-diagram" role="img" aria-label="案件流程图">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#667085"/></marker></defs>',
    ]
    drawn = set()
    for t in workflows.TRANSITIONS:
        if not t["dest"]:
            continue
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        for s in sources:
            key = (s, t["dest"])
            if key in drawn:
                continue
            drawn.add(key)
            x1, y1 = placed[s]
            x2, y2 = placed[t["dest"]]
            back = t["trigger"] in ("return", "reopen") or (
                s == "evaluation_review" and t["dest"] == "works"
            )
            cls = "edge back" if back else "edge"
            sx, sy = x1 + _NODE_W / 2, y1 + _NODE_H / 2
            ex, ey = x2 + _NODE_W / 2, y2 + _NODE_H / 2
            if back:
                mid_y = min(y1, y2) - 14
                path = f"M{sx},{y1} C{sx},{mid_y} {ex},{mid_y} {ex},{y2}"
            elif abs(y2 - y1) < 1:
                # same row: leave from the facing edges
                sx, ex = (x1 + _NODE_W, x2) if x2 > x1 else (x1, x2 + _NODE_W)
                path = f"M{sx},{sy} L{ex},{ey}"
            else:
                sy, ey = (y1 + _NODE_H, y2) if y2 > y1 else (y1, y2 + _NODE_H)
                path = f"M{sx},{sy} L{ex},{ey}"
            title = escape(workflows.ACTION_LABELS_ZH.get(t["trigger"], t["trigger"]))
            parts.append(
                f'<path class="{cls}" d="{path}" marker-end="url(#arrow)">'
                f"<title>{title}</title></path>"
            )
    for s, (x, y) in placed.items():
        cls = "node current" if s == current else "node"
        parts.append(
            f'<g class="{cls}" data-state="{s}"><rect x="{x}" y="{y}" width="{_NODE_W}" '
            f'height="{_NODE_H}" rx="6"/><text x="{x + _NODE_W / 2}" y="{y + _NODE_H / 2 + 5}" '
            f'text-anchor="middle">{escape(labels[s])}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text part is escaped above)


def cst(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp in Beijing time."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(clock.CHINA_TZ).strftime(fmt)


def num(value) -> str:
    """A number as a person writes it: 3200 not 3200.0, 4×10⁻⁶ not 4e-06."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if x != 0 and abs(x) < 1e-3:
        mantissa, exponent = f"{x:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
        return f"{mantissa}×10{str(int(exponent)).translate(sup)}"
    if x.is_integer():
        return f"{int(x):,}" if abs(x) >= 10000 else str(int(x))
    return f"{x:.6g}"


def field_value(key: str, value) -> str:
    """A filing field shown to a person: labels, units and Chinese yes/no."""
    from app.services.filings import MEDIA

    media_zh = dict(zip(MEDIA, ("土壤", "地表水", "地下水", "环境空气"), strict=True))
    if value is True:
        return "是"
    if value is False:
        return "否"
    if key == "targets" and isinstance(value, list):
        return "；".join(
            f"{t.get('pollutant')} ≤ {num(t.get('target_mg_kg'))} mg/kg" for t in value
        )
    if key == "results" and isinstance(value, list):
        return "；".join(
            f"{r.get('pollutant')} {num(r.get('value_mg_kg'))} mg/kg（目标 {num(r.get('target_mg_kg'))}）"
            for r in value
        )
    if key == "media" and isinstance(value, list):
        return "、".join(media_zh.get(m, m) for m in value)
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    if isinstance(value, (int, float)):
        text = num(value)
        return {"volume_m3": f"{text} m³", "percent_complete": f"{text}%"}.get(key, text)
    return str(value)


def days_since(value) -> int:
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return max((clock.now() - value).days, 0)


EVENT_LABELS_ZH = {
    "site_registered": "登记地块",
    "assign": "委托单位",
    "manifest_reported": "报告转运联单",
    "manifest_dispatched": "联单发运",
    "manifest_received": "确认接收",
    "manifest_resolved": "处理数量差异",
    "responsibility_changed": "责任人变更",
    "responsibility_determined": "责任人认定生效",
    "determination_proposed": "提出责任人认定",
    "land_transferred": "土地使用权转让",
    "party_registered": "登记单位",
    "party_succeeded": "单位注销与承继",
    "party_vanished": "责任主体灭失",
    "party_banned": "禁止从事相关业务",
    "party_ban_lifted": "解除禁入",
    "user_created": "创建用户",
    "document_issued": "签发文书",
    "tipoff_handled": "处理举报",
}
FIELD_LABELS_ZH = {
    "unit_credit_code": "单位统一社会信用代码",
    "contractor_credit_code": "施工单位统一社会信用代码",
    "evaluator_credit_code": "评估单位统一社会信用代码",
    "project_lead": "项目负责人",
    "conclusion": "结论",
    "carcinogenic_risk_max": "最大致癌风险",
    "hazard_quotient_max": "最大危害商",
    "risk_acceptable": "风险可接受",
    "targets": "修复目标值",
    "technology": "修复技术",
    "offsite_transfer": "异位转运",
    "volume_m3": "土方量（m³）",
    "start_date": "开始日期",
    "end_date": "结束日期",
    "groundwater_measures": "地下水保护措施",
    "media": "监测介质",
    "summary": "情况摘要",
    "project_overview": "工程概况",
    "environmental_impacts": "主要环境影响",
    "protective_measures": "环境保护措施",
    "contact": "联系方式",
    "percent_complete": "完成比例（%）",
    "passed": "达到修复目标",
    "results": "检测结果",
}


def event_label(action: str) -> str:
    from app.services.filings import KIND_LABELS_ZH

    return (
        workflows.ACTION_LABELS_ZH.get(action)
        or KIND_LABELS_ZH.get(action)
        or EVENT_LABELS_ZH.get(action)
        or action
    )


NAV = {
    None: [("public.index", "名录"), ("public.map_view", "地图"), ("public.indicators", "统计指标"),
           ("public.report", "举报")],
    "landholder": [("portal.index", "我的地块与案件"), ("portal.new_site", "登记地块"),
                   ("portal.manifests", "转运联单")],
    "contractor": [("portal.index", "我的案件"), ("portal.manifests", "转运联单")],
    "evaluator": [("portal.index", "我的案件")],
    "facility": [("portal.manifests", "接收联单")],
    "bureau": [("review.queue", "审查工作台"), ("review.cases", "全部案件"),
               ("review.manifests", "转运联单"), ("review.parties", "单位"),
               ("review.tipoffs", "举报线索"), ("review.ledger", "问责台账")],
    "admin": [("review.parties", "单位"), ("review.ledger", "问责台账")],
}  # fmt: skip


def nav_items() -> list[tuple[str, str]]:
    """Navigation for the current user, limited to endpoints that exist."""
    from flask import current_app
    from flask_babel import gettext
    from flask_login import current_user

    role = current_user.role if current_user.is_authenticated else None
    items = NAV.get(role, []) if role else NAV[None]
    endpoints = current_app.view_functions
    return [(e, gettext(label)) for e, label in items if e in endpoints]


def register(app: Flask) -> None:
    from app.services.filings import KIND_LABELS_ZH
    from app.services.sites import PLANNED_USE_ZH, TRIGGER_ZH

    app.jinja_env.filters["cst"] = cst
    app.jinja_env.filters["days_since"] = days_since
    app.jinja_env.filters["num"] = num

    @app.context_processor
    def labels():
        from flask_babel import get_locale

        from app.casepage import EXPECTED

        return {
            "get_locale": get_locale,
            "nav_items": nav_items,
            "url_rules": {rule.endpoint for rule in app.url_map.iter_rules()},
            "STATE_LABELS": workflows.STATE_LABELS_ZH,
            "ACTION_LABELS": workflows.ACTION_LABELS_ZH,
            "KIND_LABELS": KIND_LABELS_ZH,
            "PLANNED_USE_LABELS": PLANNED_USE_ZH,
            "TRIGGER_LABELS": TRIGGER_ZH,
            "LEVEL_LABELS": {
                "below_screening": "未超筛选值",
                "above_screening": "超筛选值",
                "above_intervention": "超管制值",
                "no_standard": "无标准值",
            },
            "state_diagram_svg": state_diagram_svg,
            "event_label": event_label,
            "field_value": field_value,
            "EXPECTED": EXPECTED,
            "FIELD_LABELS": FIELD_LABELS_ZH,
            "BASIS_LABELS": {
                "polluter": "污染者",
                "successor": "承继单位",
                "transferee": "土地使用权受让人",
                "county_government": "县级人民政府",
            },
        }
