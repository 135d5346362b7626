"""Screening a batch of samples (a JSON list or parsed CSV rows): every bad field
reported at once, then each sample's level against the plot's land category."""

from __future__ import annotations

from collections.abc import Mapping

from app.errors import ValidationError
from app.services.screening.standard import (
    RANK,
    Pollutant,
    category_index,
    level_of,
    lookup_pollutant,
)
from app.services.screening.units import InvalidField, number_of, scaled, show, unit_exponent

MAX_DEPTH_M = 1000.0  # far below any site-survey borehole; catches mm/cm typed as m
MAX_FIELD_CHARS = 200
MAX_SAMPLES = 200_000
MAX_COLUMNS = 50
_MAX_FIELD_ERRORS = 20  # per-field messages kept in one error; the rest are only counted


class FieldErrors:
    """Collects every bad field of a batch so the user fixes them in one go."""

    def __init__(self) -> None:
        self.count = 0
        self.fields: dict[str, str] = {}
        self._per_field: dict[str, int] = {}
        self._unknown: dict[str, None] = {}  # ordered set of unknown pollutant names
        self._others: list[str] = []

    def add(self, field: str, message: str, unknown: str | None = None) -> None:
        self.count += 1
        if unknown is not None:
            self._unknown.setdefault(unknown)
        elif len(self._others) < 3:
            self._others.append(message)
        seen = self._per_field.get(field, 0)
        self._per_field[field] = seen + 1
        if seen == 0 and len(self.fields) < _MAX_FIELD_ERRORS:
            self.fields[field] = message
        elif 0 < seen < _MAX_FIELD_ERRORS:
            self.fields[field] += "；" + message

    def raise_if_any(self) -> None:
        if not self.count:
            return
        parts = []
        if self._unknown:
            names = list(self._unknown)
            text = "未知污染物：" + "、".join(f"“{show(n)}”" for n in names[:20])
            if len(names) > 20:
                text += f" 等 {len(names)} 种"
            parts.append(text)
        parts += self._others
        message = "；".join(parts)
        if self.count > 1:
            message += f"（共 {self.count} 处错误）"
        raise ValidationError(message, fields=self.fields)


class Resolver:
    """Per-batch caches: each distinct raw name or unit is normalised once."""

    def __init__(self) -> None:
        self._names: dict[str, Pollutant | None] = {}
        self._units: dict[str, int] = {}

    def pollutant(self, name: object) -> Pollutant:
        if not isinstance(name, str) or not name.strip():
            raise InvalidField("pollutant", "缺少污染物")
        if len(name) > MAX_FIELD_CHARS:
            raise InvalidField("pollutant", f"污染物名称过长（最多 {MAX_FIELD_CHARS} 字）")
        try:
            found = self._names[name]
        except KeyError:
            found = self._names[name] = lookup_pollutant(name)
        if found is None:
            shown = show(name.strip())
            raise InvalidField("pollutant", f"未知污染物：“{shown}”", unknown=name.strip())
        return found

    def measure(self, name: object, value: object, unit: object) -> tuple[Pollutant, float]:
        """Resolve one sample, reporting every bad field of it, not only the first."""
        problems = []
        pollutant = mg_kg = None
        try:
            pollutant = self.pollutant(name)
        except InvalidField as e:
            problems.append(e)
        try:
            key = unit if isinstance(unit, str) else ""
            exponent = self._units.get(key)
            if exponent is None:
                exponent = self._units[key] = unit_exponent(unit)
            mg_kg = scaled(value, exponent, unit)
        except InvalidField as e:
            problems.append(e)
        if problems:
            raise Problems(problems)
        return pollutant, mg_kg


class Problems(Exception):
    def __init__(self, problems: list[InvalidField]):
        super().__init__(problems[0].message)
        self.problems = problems


def _resolve_backgrounds(backgrounds: object) -> dict[str, float]:
    """Plot background values by pollutant key; only 注① pollutants use them."""
    if backgrounds is None:
        return {}
    if not isinstance(backgrounds, Mapping):
        raise ValidationError("背景值应为对象", fields={"backgrounds": "背景值应为对象"})
    errors = FieldErrors()
    resolved: dict[str, float] = {}
    for name, value in backgrounds.items():
        field = f"backgrounds.{show(name)}"
        pollutant = lookup_pollutant(name)
        if pollutant is None:
            errors.add(field, f"未知污染物：“{show(name)}”", unknown=show(name))
            continue
        try:
            number = number_of(value, "背景值")
        except InvalidField as e:
            errors.add(field, e.message)
            continue
        if resolved.setdefault(pollutant.key, number) != number:
            errors.add(field, f"{pollutant.name_zh}的背景值给了两次且不同")
    errors.raise_if_any()
    return resolved


def _check_list(samples: object, max_rows: int) -> list:
    if not isinstance(samples, (list, tuple)):
        raise ValidationError("样品应为列表", fields={"samples": "样品应为列表"})
    if not samples:
        raise ValidationError("至少需要一个样品", fields={"samples": "至少需要一个样品"})
    if len(samples) > max_rows:
        message = f"样品过多：最多 {max_rows} 个"
        raise ValidationError(message, fields={"samples": message})
    return list(samples)


def screen(
    land_category: int,
    samples: list[dict],
    backgrounds: dict[str, float] | None = None,
) -> dict:
    """Compare samples (any unit) with GB 36600-2018 for land category 1 or 2.

    Returns ``{"results": [...], "max_level": ...}`` in input order; keys of a
    sample other than pollutant, value and unit are ignored.
    """
    index = category_index(land_category)
    samples = _check_list(samples, MAX_SAMPLES)
    by_key = _resolve_backgrounds(backgrounds)
    resolver = Resolver()
    errors = FieldErrors()
    results = []
    best = 0
    for i, sample in enumerate(samples):
        if not isinstance(sample, dict):
            errors.add(f"samples[{i}]", "样品应为对象")
            continue
        try:
            pollutant, mg_kg = resolver.measure(
                sample.get("pollutant"), sample.get("value"), sample.get("unit")
            )
        except Problems as p:
            for e in p.problems:
                errors.add(f"samples[{i}].{e.field}", e.message, e.unknown)
            continue
        level = level_of(pollutant, index, mg_kg, by_key.get(pollutant.key))
        best = max(best, RANK[level])
        results.append(
            {
                "pollutant": pollutant.name_zh,
                "pollutant_en": pollutant.name_en,
                "cas": pollutant.cas,
                "value_mg_kg": mg_kg,
                "screening_value": pollutant.screening[index],
                "intervention_value": pollutant.intervention[index],
                "level": level,
            }
        )
    errors.raise_if_any()
    max_level = next(name for name, rank in RANK.items() if rank == best)
    return {"results": results, "max_level": max_level}


_SAMPLE_KEYS = frozenset({"point_id", "depth_m", "pollutant", "value", "unit"})


def depth_of(value: object) -> float | None:
    if value is None:
        return None
    depth = number_of(value, "深度", "depth_m")
    if depth > MAX_DEPTH_M:
        raise InvalidField(
            "depth_m", f"深度超出合理范围（最大 {MAX_DEPTH_M:g} m）：“{show(value)}”"
        )
    return depth


def validate_samples_list(items: object) -> list[dict]:
    """Check the JSON form of samples (``data.samples``) and normalise it.

    Each item: ``pollutant`` (str), ``value`` (number), ``unit`` (str), optional
    ``point_id`` (str) and ``depth_m`` (number); other keys are refused.
    """
    items = _check_list(items, MAX_SAMPLES)
    resolver = Resolver()
    errors = FieldErrors()
    out = []
    for i, item in enumerate(items):
        where = f"samples[{i}]"
        if not isinstance(item, dict):
            errors.add(where, "样品应为对象")
            continue
        bad = False
        for key in item:
            if key not in _SAMPLE_KEYS:
                errors.add(f"{where}.{show(key)}", f"未知字段：“{show(key)}”")
                bad = True
        for key in ("pollutant", "value", "unit"):
            if key not in item:
                errors.add(f"{where}.{key}", f"缺少字段：{key}")
                bad = True
        point_id = item.get("point_id", "")
        if not isinstance(point_id, str):
            errors.add(f"{where}.point_id", f"点位编号应为文本：“{show(point_id)}”")
            bad = True
        elif len(point_id) > MAX_FIELD_CHARS:
            errors.add(f"{where}.point_id", f"点位编号过长（最多 {MAX_FIELD_CHARS} 字）")
            bad = True
        try:
            depth = depth_of(item.get("depth_m"))
        except InvalidField as e:
            errors.add(f"{where}.depth_m", e.message)
            bad = True
        if bad:
            continue
        try:
            resolver.measure(item["pollutant"], item["value"], item["unit"])
        except Problems as p:
            for e in p.problems:
                errors.add(f"{where}.{e.field}", e.message, e.unknown)
            continue
        out.append(
            {
                "point_id": point_id.strip(),
                "depth_m": depth,
                "pollutant": item["pollutant"].strip(),
                "value": float(item["value"]),
                "unit": item["unit"].strip(),
            }
        )
    errors.raise_if_any()
    return out
