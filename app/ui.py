"""Template helpers shared by every blueprint: labels, dates in Beijing time,
and the lifecycle diagram drawn from ``workflows`` itself."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import escape

from flask import Flask, has_request_context, request
from flask_babel import get_translations
from markupsafe import Markup

import workflows
from app.i18n_strings import N_
from app.services import clock, regions
from workflows import control as control_rules
from workflows import deadlines as deadline_rules

_NODE_W, _NODE_H, _GAP_X, _GAP_Y = 132, 40, 38, 56


def _layout() -> dict[str, tuple[int, int]]:
    """Longest-path layering over the forward transitions (returns, reopen and
    failed evaluations go backwards and are drawn as back edges)."""
    order = workflows.STATES.index
    edges: list[tuple[str, str]] = []
    for t in workflows.TRANSITIONS:
        if not t["dest"]:
            continue
        for s in t["source"] if isinstance(t["source"], list) else [t["source"]]:
            # Only edges forward in STATES order: a back edge (return, reopen, a failed
            # evaluation back to its route) would make the layering loop for ever.
            if order(t["dest"]) > order(s):
                edges.append((s, t["dest"]))
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
    """An SVG of the lifecycle, the current state highlighted, its labels in
    the reader's language."""
    labels = labels or translated(workflows.STATE_LABELS_ZH)
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
    name = escape(_("案件流程图"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="state-diagram" role="img" aria-label="{name}">',
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
            # Edges that go back in the lifecycle (return, reopen, a failed evaluation
            # back to its route) arc above the nodes.
            back = workflows.STATES.index(t["dest"]) < workflows.STATES.index(s)
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
            title = escape(tr(workflows.ACTION_LABELS_ZH.get(t["trigger"], t["trigger"])))
            parts.append(
                f'<path class="{cls}" data-edge="{s}-{t["dest"]}" d="{path}" '
                f'marker-end="url(#arrow)">'
                f"<title>{title}</title></path>"
            )
    for s, (x, y) in placed.items():
        cls = "node current" if s == current else "node"
        cx = x + _NODE_W / 2
        lines = _label_lines(labels[s])
        if len(lines) == 1:
            text = (
                f'<text x="{cx}" y="{y + _NODE_H / 2 + 5}" text-anchor="middle">'
                f"{escape(lines[0])}</text>"
            )
        else:  # two smaller lines, so that an English label fits its box
            text = (
                f'<text x="{cx}" y="{y + _NODE_H / 2 - 3}" text-anchor="middle" font-size="11">'
                f'<tspan x="{cx}">{escape(lines[0])} </tspan>'
                f'<tspan x="{cx}" dy="13">{escape(lines[1])}</tspan></text>'
            )
        parts.append(
            f'<g class="{cls}" data-state="{s}"><rect x="{x}" y="{y}" width="{_NODE_W}" '
            f'height="{_NODE_H}" rx="6"/>{text}</g>'
        )
    parts.append("</svg>")
    # Every label and title went through html.escape() above; states, classes and
    # coordinates come from workflows and arithmetic, never from a user.
    # nosemgrep: markup-non-literal
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def _label_lines(label: str, width: int = 17) -> list[str]:
    """A diagram node's label on one line, or on two when it is too long for
    the box (English; the Chinese labels are short and have no spaces): split
    at the space that balances the lines best."""
    words = label.split(" ")
    if len(label) <= width or len(words) < 2:
        return [label]
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    return list(min(splits, key=lambda pair: max(len(pair[0]), len(pair[1]))))


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
    """A filing field shown to a person: labels, units and yes/no, in the
    reader's language (what the filer typed is shown as typed)."""
    from app.services.filings import MEDIA

    media = dict(zip(MEDIA, (N_("土壤"), N_("地表水"), N_("地下水"), N_("环境空气")), strict=True))
    # TRANSLATORS: separates the items of a list in a filing field ("; " in English).
    items = _("；")
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if key == "targets" and isinstance(value, list):
        return items.join(
            f"{pollutant_name(t.get('pollutant'))} ≤ {num(t.get('target_mg_kg'))} mg/kg"
            for t in value
        )
    if key == "results" and isinstance(value, list):
        return items.join(
            _(
                "%(pollutant)s %(value)s mg/kg（目标 %(target)s）",
                pollutant=pollutant_name(r.get("pollutant")),
                value=num(r.get("value_mg_kg")),
                target=num(r.get("target_mg_kg")),
            )
            for r in value
        )
    if key == "values" and isinstance(value, list):  # monitoring values (issue 15)
        return items.join(
            f"{v.get('point_id') or ''} {tr(media.get(v.get('medium'), v.get('medium')))} "
            f"{pollutant_name(v.get('pollutant'))} {num(v.get('value'))} {v.get('unit')}".strip()
            for v in value
        )
    if key == "control_area" and isinstance(value, dict):
        corners = len((value.get("coordinates") or [[]])[0]) - 1
        return _("多边形，%(n)s 个顶点", n=max(corners, 0))
    if key == "monitoring_plan" and isinstance(value, dict):
        limits = items.join(
            f"{tr(media.get(x.get('medium'), x.get('medium')))} {pollutant_name(x.get('pollutant'))}"
            f" ≤ {num(x.get('limit'))} {x.get('unit')}"
            for x in value.get("limits") or ()
        )
        return _(
            "每 %(days)s 天监测，%(points)s 个点位；限值：%(limits)s",
            days=value.get("frequency_days"), points=len(value.get("points") or ()), limits=limits,
        )  # fmt: skip
    if key == "media" and isinstance(value, list):
        # TRANSLATORS: separates the media monitored ("、" in Chinese, ", " in English).
        return _("、").join(tr(media.get(m, m)) for m in value)
    if isinstance(value, list):
        return items.join(str(v) for v in value)
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
    "site_registered": N_("登记地块"),
    "assign": N_("委托单位"),
    "manifest_reported": N_("报告转运联单"),
    "manifest_dispatched": N_("联单发运"),
    "manifest_received": N_("确认接收"),
    "manifest_resolved": N_("处理数量差异"),
    "manifest_acknowledged": N_("接收地确认知悉跨县转运"),
    "regions_served": N_("平台服务范围增加"),
    "regions_unserved": N_("平台服务范围减少"),
    "responsibility_changed": N_("责任人变更"),
    "responsibility_determined": N_("责任人认定生效"),
    "determination_proposed": N_("提出责任人认定"),
    "land_transferred": N_("土地使用权转让"),
    "party_registered": N_("登记单位"),
    "party_succeeded": N_("单位注销与承继"),
    "party_vanished": N_("责任主体灭失"),
    "party_banned": N_("禁止从事相关业务"),
    "party_ban_lifted": N_("解除禁入"),
    "suspect_recorded": N_("登记疑似污染地块"),
    "suspect_dismissed": N_("排除疑似污染地块"),
    "survey_ordered": N_("责令开展调查"),
    "key_unit_listed": N_("列入重点监管单位名录"),
    "key_unit_closed": N_("重点监管单位关闭搬迁"),
    "unit_self_monitoring": N_("报送自行监测报告"),
    "unit_demolition_plan": N_("报送拆除活动污染防治方案"),
    "presurvey_imported": N_("从表格导入名录"),
    "expert_added": N_("专家入库"),
    "expert_updated": N_("专家信息变更"),
    "panel_drawn": N_("抽取评审专家"),
    "meeting_recorded": N_("记录专家评审会"),
    "control_alert": N_("管控监测超限"),
    "user_created": N_("创建用户"),
    "document_issued": N_("签发文书"),
    "tipoff_handled": N_("处理举报"),
    "use_changed": N_("规划用途变更"),
    "farmland_unit_registered": N_("登记耕地单元"),
    "farmland_samples_imported": N_("导入耕地土壤样品"),
    "farmland_classified": N_("确认耕地土壤环境质量类别"),
    "farmland_measure_recorded": N_("记录耕地安全利用或严格管控措施"),
    "farmland_crop_result_recorded": N_("记录农产品检测结果"),
    "farmland_converted": N_("关联原耕地单元（农用地转为建设用地）"),
}
FIELD_LABELS_ZH = {
    "unit_credit_code": N_("单位统一社会信用代码"),
    "contractor_credit_code": N_("施工单位统一社会信用代码"),
    "evaluator_credit_code": N_("评估单位统一社会信用代码"),
    "project_lead": N_("项目负责人"),
    "conclusion": N_("结论"),
    "carcinogenic_risk_max": N_("最大致癌风险"),
    "hazard_quotient_max": N_("最大危害商"),
    "risk_acceptable": N_("风险可接受"),
    "targets": N_("修复目标值"),
    "justification": N_("风险可接受的理由（超过管制值）"),
    "technology": N_("修复技术"),
    "offsite_transfer": N_("异位转运"),
    "volume_m3": N_("土方量（m³）"),
    "start_date": N_("开始日期"),
    "end_date": N_("结束日期"),
    "groundwater_measures": N_("地下水保护措施"),
    "media": N_("监测介质"),
    "summary": N_("情况摘要"),
    "project_overview": N_("工程概况"),
    "environmental_impacts": N_("主要环境影响"),
    "protective_measures": N_("环境保护措施"),
    "contact": N_("联系方式"),
    "percent_complete": N_("完成比例（%）"),
    "passed": N_("达到修复目标"),
    "results": N_("检测结果"),
    "measures": N_("措施"),
    "control_area": N_("管控区域"),
    "signs": N_("标识设置"),
    "announcement": N_("公告内容"),
    "monitoring_plan": N_("监测计划"),
    "isolation": N_("已隔离受影响区域"),
    "completed_on": N_("完成日期"),
    "values": N_("监测数据"),
}


def event_label(action: str) -> str:
    from app.services.filings import KIND_LABELS_ZH

    return tr(
        workflows.ACTION_LABELS_ZH.get(action)
        or KIND_LABELS_ZH.get(action)
        or EVENT_LABELS_ZH.get(action)
        or action
    )


def _(text: str, **variables) -> str:
    """gettext in a request (the reader's language); outside one -- a PDF
    rendered by a background job, the CLI -- there is no reader, and the
    Chinese source text is the answer (the locale selector needs a request)."""
    if has_request_context():
        text = translations().ugettext(text)
    return text % variables if variables else text


def translations():
    """The reader's catalog, looked up once per request (issue 19: a register page
    asks for a few hundred labels, and Flask-Babel looks up the locale, the domain
    and its cache for every one of them -- 6 ms a page)."""
    # Kept with the request (not ``g``, which outlives it when a caller keeps an
    # application context pushed).
    environ = request.environ
    found = environ.get("clc.translations")
    if found is None:
        found = environ["clc.translations"] = get_translations()
    return found


def install_template_gettext(app: Flask) -> None:
    """Templates' ``_()`` through :func:`translations` (Flask-Babel installs
    callables that look everything up again per call)."""

    def catalog():
        return translations() if has_request_context() else get_translations()

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )


# Labels a service builds with values in them (the public timeline of
# app/services/public.py): the shape of each, and its msgid with the values as
# placeholders. The values -- quantities, a county -- are shown as they are.
_WITH_VALUES = (
    (re.compile(r"^报告污染土壤外运转移 (?P<t>[\d,.]+) 吨，运往(?P<county>.+)$"),
     N_("报告污染土壤外运转移 %(t)s 吨，运往%(county)s")),
    (re.compile(r"^报告污染土壤外运转移 (?P<t>[\d,.]+) 吨$"), N_("报告污染土壤外运转移 %(t)s 吨")),
    (re.compile(r"^报告污染土壤外运转移，运往(?P<county>.+)$"),
     N_("报告污染土壤外运转移，运往%(county)s")),
    (re.compile(r"^接收单位确认接收污染土壤 (?P<t>[\d,.]+) 吨$"), N_("接收单位确认接收污染土壤 %(t)s 吨")),
)  # fmt: skip
_WITH_VALUES_STARTS = ("报告污染土壤外运转移", "接收单位确认接收污染土壤")


def tr(value):
    """A Chinese label from ``workflows``, a service or a route (every one is
    listed in app/i18n_strings.py, so the catalog has it) in the reader's
    language; anything not in the catalog -- names, addresses, what a person
    typed -- comes back unchanged. A plain string, escaped by Jinja like any
    other value (``_()`` in a template returns Markup: never for data)."""
    if not value or not isinstance(value, str):
        return value
    text = _(value)
    if text == value and value.startswith(_WITH_VALUES_STARTS):
        for pattern, msgid in _WITH_VALUES:
            if match := pattern.match(value):
                return _(msgid, **match.groupdict())
    return text


def pollutant_name(name):
    """A pollutant as the reader names it: in English, the English name of the
    GB 36600 table for a pollutant it knows; otherwise unchanged."""
    if not name or not isinstance(name, str) or not has_request_context():
        return name
    from flask_babel import get_locale

    locale = get_locale()
    if locale is None or locale.language != "en":
        return name
    from app.services.screening import lookup_pollutant

    pollutant = lookup_pollutant(name)
    return pollutant.name_en if pollutant is not None and pollutant.name_en else name


def translated(labels: dict) -> dict:
    """``labels`` (key -> Chinese) with every value in the reader's language."""
    return {k: tr(v) for k, v in labels.items()}


NAV = {
    None: [("public.index", N_("名录")), ("public.map_view", N_("地图")),
           ("public.indicators", N_("统计指标")), ("public.farmland", N_("耕地安全利用")), ("public.key_units", N_("重点监管单位")),
           ("public.report", N_("举报"))],
    "landholder": [("portal.index", N_("我的地块与案件")), ("portal.new_site", N_("登记地块")),
                   ("portal.manifests", N_("转运联单"))],
    "contractor": [("portal.index", N_("我的案件")), ("portal.manifests", N_("转运联单"))],
    "evaluator": [("portal.index", N_("我的案件"))],
    "facility": [("portal.manifests", N_("接收联单"))],
    "bureau": [("review.queue", N_("审查工作台")), ("review.deadlines", N_("期限台账")),
               ("review.cases", N_("全部案件")), ("review.suspects", N_("疑似地块")),
               ("review.key_units", N_("重点单位")),
               ("review.manifests", N_("转运联单")), ("review.parties", N_("单位")),
               ("review.tipoffs", N_("举报线索")), ("farmland.index", N_("耕地分类")),
               ("review.ledger", N_("问责台账"))],
    # Agriculture officers: cultivated land only (issue 21).
    "agriculture": [("farmland.index", N_("耕地分类")), ("farmland.rate", N_("安全利用率"))],
    "admin": [("review.users", N_("用户")), ("review.parties", N_("单位")),
              ("review.ledger", N_("问责台账"))],
}  # fmt: skip


LEVEL_LABELS_ZH = {
    "below_screening": N_("未超筛选值"),
    "above_screening": N_("超筛选值"),
    "above_intervention": N_("超管制值"),
    "no_standard": N_("无标准值"),
}
BASIS_LABELS_ZH = {
    "polluter": N_("污染者"),
    "successor": N_("承继单位"),
    "transferee": N_("土地使用权受让人"),
    "county_government": N_("县级人民政府"),
}


def nav_items() -> list[tuple[str, str]]:
    """Navigation for the current user, limited to endpoints that exist."""
    from flask import current_app
    from flask_login import current_user

    role = current_user.role if current_user.is_authenticated else None
    if role == "bureau" and current_user.department == "agriculture":
        role = "agriculture"
    items = NAV.get(role, []) if role else NAV[None]
    endpoints = current_app.view_functions
    return [(e, _(label)) for e, label in items if e in endpoints]


def notification_text(n: dict) -> str:
    """A notice in the reader's language, from the values it was made of."""
    from app.services.notifications import LABEL_PARAMS, TEXTS

    params = n.get("params") or {}
    if n.get("kind") not in TEXTS or not params:
        return n.get("text", "")
    values = {k: tr(str(v)) if k in LABEL_PARAMS else str(v) for k, v in params.items()}
    try:
        return _(TEXTS[n["kind"]], **values)
    except (KeyError, ValueError, TypeError):  # a notice older than its template
        return n.get("text", "")


def unread_notifications() -> int:
    """The badge beside 通知 in the navigation (one indexed count per page)."""
    from flask_login import current_user

    from app.services.notifications import unread_count

    if not current_user.is_authenticated:
        return 0
    return unread_count(current_user._get_current_object())


def register(app: Flask) -> None:
    from app.services.filings import KIND_LABELS_ZH
    from app.services.sites import PLANNED_USE_ZH, TRIGGER_ZH

    app.jinja_env.filters["cst"] = cst
    app.jinja_env.filters["days_since"] = days_since
    app.jinja_env.filters["num"] = num
    app.jinja_env.filters["tr"] = tr
    app.jinja_env.filters["pollutant"] = pollutant_name
    app.jinja_env.filters["region_name"] = regions.name

    @app.context_processor
    def labels():
        from flask_babel import get_locale

        from app.casepage import EXPECTED

        return {
            "get_locale": get_locale,
            # The deployment's name on every page: the county, or the prefecture or
            # province holding every county it serves (issue 18).
            "area_name": regions.area_name,
            "nav_items": nav_items,
            "unread_notifications": unread_notifications,
            "notification_text": notification_text,
            "url_rules": {rule.endpoint for rule in app.url_map.iter_rules()},
            # The label dicts stay Chinese where they are defined (workflows/,
            # the services); here they are translated for the reader.
            "STATE_LABELS": translated(workflows.STATE_LABELS_ZH),
            "ACTION_LABELS": translated(workflows.ACTION_LABELS_ZH),
            "KIND_LABELS": translated(KIND_LABELS_ZH),
            "PLANNED_USE_LABELS": translated(PLANNED_USE_ZH),
            "TRIGGER_LABELS": translated(TRIGGER_ZH),
            "LEVEL_LABELS": translated(LEVEL_LABELS_ZH),
            "state_diagram_svg": state_diagram_svg,
            "event_label": event_label,
            "field_value": field_value,
            "EXPECTED": {k: (tr(who), tr(what)) for k, (who, what) in EXPECTED.items()},
            "FIELD_LABELS": translated(FIELD_LABELS_ZH),
            "BASIS_LABELS": translated(BASIS_LABELS_ZH),
            "DEADLINE_LABELS": translated(deadline_rules.KIND_LABELS_ZH),
            "DEADLINE_OWNER_LABELS": translated(deadline_rules.OWNER_LABELS_ZH),
            "MEDIA_LABELS": translated(control_rules.MEDIA_LABELS_ZH),
        }
