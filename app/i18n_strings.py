"""Strings the templates show that live in dicts elsewhere (``workflows/``,
the services, a few routes), listed here so that ``pybabel extract`` finds them
and translators see them. ``workflows/`` and the services stay Chinese-only and
free of Flask; the templates translate these values at render time (the ``tr``
filter and the label dicts of ``app.ui``). tests/web/test_i18n.py checks that
every value of those dicts has an English translation, so a label added there
without one here fails a test.

Chinese is the source language: each msgid is the Chinese text itself.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark ``text`` for extraction; translation happens where it is shown."""
    return text


STRINGS = (
    # workflows.STATE_LABELS_ZH
    N_("土壤污染状况调查"),
    N_("调查报告审查"),
    N_("风险评估"),
    N_("风险评估报告审查"),
    N_("列入名录"),
    N_("风险管控"),
    N_("修复方案编制"),
    N_("修复方案备案"),
    N_("污染土壤转运报告"),
    N_("修复施工"),
    N_("效果评估"),
    N_("效果评估报告审查"),
    N_("移出名录/无需列入"),
    # workflows.ACTION_LABELS_ZH
    N_("提交"),
    N_("会同审查（自然资源）"),
    N_("审查通过"),
    N_("退回修改"),
    N_("要求实施修复"),
    N_("要求实施风险管控"),
    N_("施工完成"),
    N_("启动效果评估"),
    N_("重新启动"),
    # workflows GUARD_MESSAGES_ZH / GUARD_UNLESS_MESSAGES_ZH (why a button is unavailable)
    N_("本轮尚未提交该阶段的申报材料"),
    N_("尚无已报告的转运联单"),
    N_("需先由自然资源部门会同审查（cosign）"),
    N_("样品检测值均未超过筛选值，且无检出的无标准值污染物"),
    N_("案件不是经风险管控进入效果评估的"),
    N_("风险评估结论为风险可接受"),
    N_("修复方案无异位转运"),
    N_("效果评估结论为未通过"),
    N_("须填写意见（comment）"),
    N_("尚未公开施工公告牌（works_notice）"),
    N_("尚有转运联单未接收或存在未处理的数量差异"),
    N_("尚未提交监测报告（monitoring_report）"),
    N_("本轮已会同审查，不能重复会签"),
    # workflows/deadlines.py KIND_LABELS_ZH, OWNER_LABELS_ZH and each rule's basis (§11)
    N_("审查时限"),
    N_("修改补充时限"),
    N_("监测报告"),
    N_("施工完成时限"),
    N_("责令调查时限"),
    N_("生态环境局"),
    N_("土地使用权人/责任人"),
    N_("修复施工单位"),
    N_("效果评估单位"),
    N_("生态环境主管部门应在收到报告后规定的工作日内审查并出具意见（污染地块土壤环境管理办法）"),
    N_("退回修改的报告应在规定的工作日内修改完善后重新提交"),
    N_("风险管控期间应按期开展监测并报送监测报告（土壤污染防治法第六十条）"),
    N_("修复施工应在备案的修复方案确定的工期内完成"),
    N_("应在生态环境主管部门责令的期限内完成土壤污染状况调查（土壤污染防治法第五十九条）"),
    # app/services/notifications.py TEXTS (each notice, translated with its values)
    N_("催办：%(plot)s（%(code)s）的%(deadline)s已于 %(due)s 到期，请尽快办理。"),
    N_("%(plot)s（%(code)s）的%(stage)s被退回修改：%(comment)s"),
    N_("%(plot)s（%(code)s）：%(action)s，%(from_state)s → %(to_state)s %(number)s"),
    N_("%(plot)s（%(code)s）重新开展土壤污染状况调查：%(comment)s"),
    N_("%(plot)s（%(code)s）的转运联单 %(manifest)s 接收数量与发运数量相差 %(pct)s%%，待核查处理"),
    N_("贵单位已被委托为%(plot)s（%(code)s）的%(role)s"),
    N_("调查单位"),
    # app/models/tipoffs.py: the new status and the channels (§11)
    N_("已转办"),
    N_("网上举报"),
    N_("12369 热线"),
    N_("来信"),
    N_("来访"),
    # app/services/notifications.py KIND_LABELS_ZH (the inbox)
    N_("催办"),
    N_("退回修改"),
    N_("审查决定"),
    N_("转运数量差异"),
    N_("委托"),
    # app/services/filings.py KIND_LABELS_ZH
    N_("土壤污染状况调查报告"),
    N_("土壤污染风险评估报告"),
    N_("修复方案"),
    N_("风险管控监测报告"),
    N_("施工公告牌"),
    N_("施工进展报告"),
    N_("效果评估报告"),
    # app/services/sites.py PLANNED_USE_ZH
    N_("居住用地（R）"),
    N_("中小学用地（A33）"),
    N_("医疗卫生用地（A5）"),
    N_("社会福利/养老用地（A6）"),
    N_("社区公园或儿童公园（G1）"),
    N_("工业用地（M）"),
    N_("物流仓储用地（W）"),
    N_("商业服务业设施用地（B）"),
    N_("道路与交通设施用地（S）"),
    N_("公用设施用地（U）"),
    N_("公共管理与公共服务用地（A，除 A33/A5/A6）"),
    N_("绿地与广场用地（G，除 G1 社区公园）"),
    # app/services/sites.py TRIGGER_ZH
    N_("用途变更为住宅、公共管理与公共服务用地"),
    N_("土地收回、转让"),
    N_("土壤污染重点监管单位用地"),
    N_("农用地转为建设用地"),
    N_("生态环境主管部门责令调查"),
    # workflows/experts.py (issue 15)
    N_("土壤环境"),
    N_("地下水与水文地质"),
    N_("风险评估与环境毒理"),
    N_("修复与风险管控工程"),
    N_("监测分析"),
    N_("环境管理与法律"),
    N_("农业与农产品安全"),
    N_("通过"),
    N_("修改后通过"),
    N_("不通过"),
    N_("专家意见修改时限"),
    N_("专家评审结论为修改后通过的，应在规定的工作日内按专家意见修改并重新提交报告"),
    N_("须有本轮专家评审会结论为“通过”，或“修改后通过”且已提交修改后的报告"),
    # risk control (issue 15): workflows/lifecycle, filings, deadlines, notifications
    N_("监测超出风险管控方案的限值，须先报送应急措施（emergency_measures）"),
    N_("风险管控方案"),
    N_("应急措施报告"),
    N_("移出名录后监测"),
    N_("风险管控地块移出名录后，责任人仍应按风险管控方案定期开展监测并报送监测报告"),
    N_("管控监测超限"),
    N_("%(plot)s（%(code)s）风险管控监测有 %(count)s 项超出管控限值，须立即采取应急措施并报送"),
    N_("地表水"),
    N_("环境空气"),
    # many counties (issue 18): notifications, decisions, jurisdiction
    N_("跨县转入"),
    N_(
        "%(origin)s%(plot)s（%(code)s）报告将 %(t)s 吨污染土壤转运至本县%(facility)s，"
        "联单 %(manifest)s，计划 %(start)s 起运，请确认知悉"
    ),
    N_("列入或移出名录由省级（或受委托的州、市级）生态环境主管部门决定：请报上级审批"),
    N_("省级"),
    N_("州市级"),
    N_("县级"),
    # workflows/presurvey.py (DESIGN §12)
    N_("重点行业企业关闭搬迁"),
    N_("土地收回"),
    N_("用途变更"),
    N_("群众举报"),
    N_("执法检查发现"),
    N_("疑似"),
    N_("已责令调查"),
    N_("已开展调查"),
    N_("已排除"),
    N_("在产"),
    N_("已关闭"),
    N_("已搬迁"),
    N_("土壤和地下水自行监测报告"),
    N_("拆除活动污染防治方案"),
    N_("名称"),
    N_("乡镇"),
    N_("地址"),
    N_("原从事行业"),
    N_("来源"),
    N_("土地使用权人统一社会信用代码"),
    N_("面积（平方米）"),
    N_("规划用途"),
    N_("备注"),
    N_("统一社会信用代码"),
    N_("年度"),
    N_("行业"),
    N_("边界"),
    N_("整行"),
    # app/services/notifications.py (§12)
    N_(
        "生态环境主管部门责令对%(plot)s（%(code)s）开展土壤污染状况调查，请于 %(due)s 前提交调查报告"
    ),
    N_("重点监管单位%(unit)s %(year)s 年度自行监测有 %(count)s 个样品超过筛选值，请核查"),
    N_("责令调查"),
    N_("自行监测超标"),
    # app/services/manifests.py STATUS_LABELS_ZH
    N_("已报告"),
    N_("运输中"),
    N_("已接收"),
    N_("数量差异待处理"),
    # app/models.py TIPOFF_STATUS_LABELS_ZH
    N_("已受理"),
    N_("调查核实中"),
    N_("已办结"),
    # app/services/public.py LEVEL_LABELS_ZH
    N_("超筛选值"),
    N_("超管制值"),
    # app/services/public.py PHASE_LABELS_ZH
    N_("已列入名录"),
    N_("风险管控中"),
    N_("修复中"),
    N_("效果评估中"),
    N_("已移出名录/无需列入"),
    # app/services/public.py STATE_EXPLAINED_ZH
    N_("经风险评估，地块风险不可接受，已列入名录，正在确定风险管控或修复方式。"),
    N_("地块实施风险管控：划定管控区、设置标识、开展监测，暂不开发利用。"),
    N_("责任人正在编制修复方案。"),
    N_("修复方案已提交生态环境部门备案审查。"),
    N_("修复方案已备案，正在报告污染土壤外运转移计划。"),
    N_("修复施工正在进行，施工现场设有公告牌。"),
    N_("修复或管控已完成，第三方单位正在开展效果评估。"),
    N_("效果评估报告正在接受生态环境部门与自然资源部门审查。"),
    N_("地块已移出名录或经调查评估无需列入名录，可依法进入用地程序。"),
    N_(
        "地块重新开展土壤污染状况调查（如规划用途变更为更敏感的用途），调查评估完成前暂不开发利用。"
    ),
    N_("重新开展的土壤污染状况调查报告正在接受审查。"),
    N_("重新调查发现污染物超过筛选值，正在开展风险评估。"),
    N_("重新开展的风险评估报告正在接受审查。"),
    # app/services/public/register.py PHASE_LABELS_ZH (added with §10)
    N_("重新调查评估中"),
    # workflows/decisions.py KIND_LABELS_ZH (numbered decisions, §10)
    N_("审查意见"),
    N_("列入名录决定"),
    N_("移出名录/无需列入名录决定"),
    N_("风险管控或修复决定"),
    # app/services/public.py NOTICE_LABELS_ZH
    N_("工程概况"),
    N_("环境影响"),
    N_("防治措施"),
    N_("联系方式"),
    N_("开工日期"),
    N_("计划完工日期"),
    # app/services/public.py _RELEASE_DECISIONS and the fixed timeline labels (_timeline_entry)
    N_("效果评估达标，移出建设用地土壤污染风险管控和修复名录"),
    N_("土壤污染状况调查表明污染物含量未超过筛选值，不属于污染地块，无需列入名录"),
    N_("风险评估表明地块风险可接受，无需列入名录"),
    N_("移出名录"),
    N_("列入建设用地土壤污染风险管控和修复名录"),
    N_("修复方案完成备案"),
    N_("效果评估未达标，继续修复"),
    N_("效果评估未达标，继续实施风险管控"),
    N_("规划用途变更"),
    N_(
        "规划用途变更为比原调查评估时更敏感的第一类用地，原结论不再适用，地块重新开展土壤污染状况调查"
    ),
    N_("生态环境部门决定重新开展土壤污染状况调查"),
    N_("决定实施风险管控"),
    N_("决定实施修复"),
    N_("报告污染土壤外运转移"),
    N_("接收数量与运出数量差异较大，生态环境部门核查中"),
    N_("转运数量差异已核查处理"),
    N_("接收单位确认接收污染土壤"),
    N_("发布施工公告，修复施工开始"),
    N_("提交风险管控监测报告"),
    N_("修复施工完成，开展效果评估"),
    N_("风险管控措施落实，启动效果评估"),
    N_("第三方单位提交效果评估报告"),
    # app/services/public.py evaluation() conclusions
    N_("修复效果达到修复目标，评估结论为达标"),
    N_("评估结论为未达标"),
    # app/services/public.py filter_options() land categories
    N_("第一类用地"),
    N_("第二类用地"),
    # app/services/public.py CSV_COLUMNS (the column list on /open-data)
    N_("地块编码"),
    N_("地块名称"),
    N_("乡镇"),
    N_("地址"),
    N_("面积（平方米）"),
    N_("规划用途"),
    N_("用地类别"),
    N_("原行业"),
    N_("状态代码"),
    N_("状态"),
    N_("关注污染物"),
    N_("列入名录日期"),
    N_("移出名录日期"),
    N_("中心经度"),
    N_("中心纬度"),
    N_("网页"),
    N_("办结时适用用途"),
    N_("办结时用地类别"),
    N_("办结日期"),
    N_("重新调查中"),
    N_("县级行政区划代码"),
    N_("所在县（市、区）"),
    # app/public/routes.py _stages() (the stepper on a plot page)
    N_("无需列入名录"),
    # app/services/documents.py KINDS (document names on /verify)
    N_("备案回执"),
    N_("审查决定回执"),
    N_("污染土壤转运联单"),
    # app/web_errors.py TITLES and messages (the HTML error page)
    N_("请求有误"),
    N_("请先登录"),
    N_("无权访问"),
    N_("页面不存在"),
    N_("不支持该操作"),
    N_("操作冲突"),
    N_("上传内容过大"),
    N_("不支持的文件类型"),
    N_("请求过于频繁"),
    N_("服务器内部错误"),
    N_("出错了"),
    N_("系统出现意外错误，已记录。请把事件编号告诉管理员。"),
    # app/api/openapi.py info.title (the heading of /api/v1/docs)
    N_("建设用地土壤污染风险管控和修复监管系统 API"),
    # config.py COUNTY_NAME (the default county; another county's name, set in the
    # environment, is shown as configured unless the catalog has it too)
    N_("陇川县"),
    # Divisions the demo serves (issue 18), shown through ``tr`` with the
    # region_name filter and area_name(); other divisions' names stay as registered
    N_("芒市"),
    N_("瑞丽市"),
    N_("德宏傣族景颇族自治州"),
    N_("云南省"),
    # Fixed messages of routes (flashes, form problems) shown through the ``tr``
    # filter in base.html, public/report.html, public/report_lookup.html and
    # auth/login.html; messages with values in them stay Chinese
    N_("请先登录。"),
    N_("您已退出登录。"),
    N_("用户名或密码错误"),
    N_("处理意见必填。"),
    N_("已记录禁入决定。"),
    N_("已登记规划用途变更：新用途比原调查评估时更敏感，地块已重新进入土壤污染状况调查。"),
    N_("已登记规划用途变更，样品已按新的用地类别重新筛选。"),
    N_("已更新。"),
    N_("密码已修改。其他设备上的登录和全部 API 令牌已失效。"),
    N_("登录已超时，请重新登录。"),
    N_("提交未通过校验，请刷新页面后重新填写。"),
    N_("请按提示修改后重新提交。"),
    N_("查询码格式不对：应为 16 位字母数字，如 ABCD-EFGH-JKMN-PQRS"),
)
