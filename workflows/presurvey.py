"""Before the survey (DESIGN §12): the rules of suspected plots and key supervised
units, as data. Pure: no Flask, no database.

- A suspected contaminated plot (疑似污染地块) comes from one of ``SOURCES``; the
  bureau orders a survey (责令调查, 土壤污染防治法第五十九条) or dismisses it with a
  reason. ``suspected`` → ``ordered`` (the plot and its case exist, in ``survey``)
  → ``case_open`` (the survey report was submitted); ``suspected`` → ``dismissed``.
- Who surveys an ordered plot (``surveyor_of``): the landholder; the county
  government for recovered land (第六十七条：土地使用权已经被地方人民政府收回，
  由地方人民政府负责) or when no landholder is known.
- A key supervised unit (土壤污染重点监管单位) is listed by year; it files
  ``self_monitoring`` yearly (第二十一条) and a ``demolition_plan`` before it
  demolishes facilities (第二十二条); Yunnan's rule is 15 working days ahead
  (``DEMOLITION_LEAD_WORKING_DAYS``, configurable). A unit that closes or
  relocates (关闭搬迁) becomes a suspected plot.
"""

from __future__ import annotations

SOURCES = ("key_enterprise_closure", "land_recovery", "use_change", "tipoff", "inspection")
SOURCE_LABELS_ZH = {
    "key_enterprise_closure": "重点行业企业关闭搬迁",
    "land_recovery": "土地收回",
    "use_change": "用途变更",
    "tipoff": "群众举报",
    "inspection": "执法检查发现",
}
# The trigger of the plot an ordered survey creates (sites.TRIGGERS).
SOURCE_TRIGGER = {
    "key_enterprise_closure": "key_enterprise",
    "land_recovery": "land_recovery",
    "use_change": "use_change",
    "tipoff": "survey_order",
    "inspection": "survey_order",
}

STATUSES = ("suspected", "ordered", "case_open", "dismissed")
STATUS_LABELS_ZH = {
    "suspected": "疑似",
    "ordered": "已责令调查",
    "case_open": "已开展调查",
    "dismissed": "已排除",
}
# What may happen to a suspected plot in each status.
NEXT = {
    "suspected": ("order_survey", "dismiss"),
    "ordered": (),
    "case_open": (),
    "dismissed": (),
}


def surveyor_of(source: str, has_landholder: bool) -> str:
    """``landholder`` or ``government``: whose duty the ordered survey is."""
    if source == "land_recovery" or not has_landholder:
        return "government"
    return "landholder"


# ---------------------------------------------------------------- key units

UNIT_STATUSES = ("listed", "closed", "relocated")
UNIT_STATUS_LABELS_ZH = {"listed": "在产", "closed": "已关闭", "relocated": "已搬迁"}
FILING_KINDS = ("self_monitoring", "demolition_plan")
FILING_LABELS_ZH = {
    "self_monitoring": "土壤和地下水自行监测报告",
    "demolition_plan": "拆除活动污染防治方案",
}
# Key units are industrial land: screened against the second category of GB 36600.
KEY_UNIT_LAND_CATEGORY = 2
DEMOLITION_LEAD_WORKING_DAYS = 15

IMPORT_KINDS = ("suspected", "key_units")

# The fields of an imported row, for the preview.
FIELD_LABELS_ZH = {
    "name": "名称",
    "township": "乡镇",
    "address": "地址",
    "former_industry": "原从事行业",
    "source": "来源",
    "landholder_credit_code": "土地使用权人统一社会信用代码",
    "area_m2": "面积（平方米）",
    "planned_use": "规划用途",
    "note": "备注",
    "credit_code": "统一社会信用代码",
    "year": "年度",
    "industry": "行业",
    "boundary": "边界",
    "_": "整行",
}
