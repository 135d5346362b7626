"""Small declarative checks for JSON payloads: unknown fields refused, each
missing or malformed field reported by name, in Chinese."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.errors import ValidationError
from app.services.credit_codes import normalize_credit_code


@dataclass
class F:
    """One field: ``kind`` is str, number, int, bool, date, enum, credit_code,
    list (of ``item``), object (of ``fields``) or any."""

    kind: str
    required: bool = True
    max_len: int = 2000
    min: float | None = None
    max: float | None = None
    gt: float | None = None
    choices: tuple = ()
    item: F | None = None
    fields: dict[str, F] = field(default_factory=dict)
    min_items: int = 0
    max_items: int = 10_000
    label: str = ""


MISSING = "必填"


def _check(value: Any, spec: F, path: str, errors: dict) -> Any:
    kind = spec.kind
    if kind == "any":
        return value
    if kind == "str":
        if not isinstance(value, str):
            errors[path] = "须为文本"
            return None
        value = value.strip()
        if spec.required and not value:
            errors[path] = "不能为空"
        elif len(value) > spec.max_len:
            errors[path] = f"不能超过 {spec.max_len} 个字符"
        elif any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            errors[path] = "含有不允许的控制字符"
        return value
    if kind in ("number", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors[path] = "须为数字"
            return None
        if kind == "int" and not (isinstance(value, int) or float(value).is_integer()):
            errors[path] = "须为整数"
            return None
        if isinstance(value, int) and abs(value) > 10**15:
            errors[path] = "数值超出范围"
            return None
        value = float(value) if kind == "number" else int(value)
        if not math.isfinite(value):
            errors[path] = "须为有限数字"
        elif spec.min is not None and value < spec.min:
            errors[path] = f"不能小于 {spec.min:g}"
        elif spec.gt is not None and value <= spec.gt:
            errors[path] = f"须大于 {spec.gt:g}"
        elif spec.max is not None and value > spec.max:
            errors[path] = f"不能大于 {spec.max:g}"
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            errors[path] = "须为 true 或 false"
        return value
    if kind == "date":
        if not isinstance(value, str):
            errors[path] = "须为日期 YYYY-MM-DD"
            return None
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            errors[path] = "须为日期 YYYY-MM-DD"
            return None
    if kind == "enum":
        if not isinstance(value, str) or value not in spec.choices:
            errors[path] = f"须为 {', '.join(spec.choices)} 之一"
        return value
    if kind == "credit_code":
        if not isinstance(value, str):
            errors[path] = "须为 18 位统一社会信用代码"
            return None
        try:
            return normalize_credit_code(value)
        except ValidationError as exc:
            errors[path] = exc.message
            return None
    if kind == "list":
        if not isinstance(value, list):
            errors[path] = "须为列表"
            return None
        if len(value) < spec.min_items:
            errors[path] = f"至少需要 {spec.min_items} 项"
            return None
        if len(value) > spec.max_items:
            errors[path] = f"不能超过 {spec.max_items} 项"
            return None
        return [_check(v, spec.item, f"{path}[{i}]", errors) for i, v in enumerate(value)]
    if kind == "object":
        if not isinstance(value, dict):
            errors[path] = "须为对象"
            return None
        return _check_fields(value, spec.fields, f"{path}.", errors)
    raise AssertionError(f"unknown field kind {kind}")


def _check_fields(data: dict, spec: dict[str, F], prefix: str, errors: dict) -> dict:
    out = {}
    for name in data:
        if name not in spec:
            errors[f"{prefix}{name}"] = "不允许的字段"
    for name, f in spec.items():
        path = f"{prefix}{name}"
        if name not in data or data[name] is None or data[name] == "":
            if f.required:
                errors[path] = MISSING
            continue
        out[name] = _check(data[name], f, path, errors)
    return out


def validate(data: Any, spec: dict[str, F], *, message: str = "数据有误") -> dict:
    """Return the cleaned data or raise ValidationError with every field's problem."""
    if not isinstance(data, dict):
        raise ValidationError("请求体须为 JSON 对象", {"_": "须为 JSON 对象"})
    errors: dict[str, str] = {}
    out = _check_fields(data, spec, "", errors)
    if errors:
        raise ValidationError(message, errors)
    return out
