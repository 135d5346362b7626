"""Cultivated land by class (issue 21) as data: the measures each class calls for.

《土壤污染防治法》第四十九条至第五十五条; 《农用地土壤环境管理办法（试行）》: priority
protection land is protected (no measure is recorded against it); safe-use land gets
measures that lower what reaches the crop; strict-control land stops growing
food crops above the limits (a change of crops, leaving farming, fallow).
"""

from __future__ import annotations

SAFE_USE_MEASURES = {
    "variety_replacement": "低积累品种替代",
    "water_management": "水分调控（淹水灌溉）",
    "liming": "施用石灰调节土壤酸度",
    "foliar_control": "叶面阻控",
    "soil_amendment": "施用土壤调理剂（钝化）",
    "deep_ploughing": "深翻耕",
}
STRICT_MEASURES = {
    "crop_change": "种植结构调整（改种非食用作物）",
    "leave_farming": "退耕还林还草",
    "fallow": "休耕",
    "production_ban": "划定特定农产品禁止生产区域",
}
MEASURE_LABELS_ZH = {**SAFE_USE_MEASURES, **STRICT_MEASURES}
MEASURES_FOR_CLASS = {"safe_use": SAFE_USE_MEASURES, "strict": STRICT_MEASURES}

# 受污染耕地安全利用率: the plan's target (陇川县土壤污染防治规划), percent.
SAFE_USE_TARGET_PCT = 90.0
