"""Screening of soil samples against GB 36600-2018 (建设用地土壤污染风险管控标准).

土壤污染防治法 第五十九条、第六十条: a survey whose samples exceed the risk
control standard leads to a risk assessment, so the bureau needs a faithful,
repeatable comparison of every sample with the screening (筛选值) and
intervention (管制值) values of the plot's land category (DESIGN.md §4).

Pure Python: no Flask, no database. Reference values live in ``app/data``.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real
from pathlib import Path

from app.errors import ValidationError

DATA_DIR = Path(__file__).parent.parent / "data"

LEVELS = ("below_screening", "above_screening", "above_intervention", "no_standard")
# max_level: a pollutant without a standard says the least about the plot.
_RANK = {
    "no_standard": 0,
    "below_screening": 1,
    "above_screening": 2,
    "above_intervention": 3,
}

MAX_MG_KG = 1_000_000.0  # 1 000 000 mg/kg = 1 kg per kg, i.e. 100 % of the sample mass
MAX_DEPTH_M = 1000.0  # far below any site-survey borehole; catches mm/cm typed as m
MAX_FIELD_CHARS = 200
MAX_SAMPLES = 200_000
MAX_COLUMNS = 50
_MAX_FIELD_ERRORS = 20  # per-field messages kept in one error; the rest are only counted

# Exponent of ten that turns the unit into mg/kg.
_UNITS = {
    "mg/kg": 0,
    "毫克/千克": 0,
    "μg/kg": -3,  # NFKC folds the micro sign µ into the Greek μ
    "ug/kg": -3,
    "微克/千克": -3,
    "g/kg": 3,
    "克/千克": 3,
}

# Lab reports and spreadsheets spell the same name with different brackets,
# primes and dashes; NFKC handles full-width forms, this table the rest.
_NAME_FOLD = str.maketrans(
    {
        "[": "(",
        "]": ")",
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "‘": "'",
        "’": "'",
        "′": "'",
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
        "−": "-",
    }
)


@dataclass(frozen=True)
class Pollutant:
    """One pollutant; values are mg/kg for (first, second) land category."""

    key: str
    name_zh: str
    name_en: str
    cas: str | None
    screening: tuple[float | None, float | None]
    intervention: tuple[float | None, float | None]
    background_footnote: str | None  # "both", "cat1" or None (GB 36600 注①)

    def background_applies(self, land_category: int) -> bool:
        """Whether 注① (background value) applies to this category."""
        return self.background_footnote == "both" or (
            self.background_footnote == "cat1" and land_category == 1
        )


def _fold(text: str) -> str:
    """Lookup key: width-, case-, bracket- and whitespace-insensitive."""
    folded = unicodedata.normalize("NFKC", text).translate(_NAME_FOLD).casefold()
    return "".join(folded.split())


def _opt_float(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def _split(text: str, sep: str) -> list[str]:
    return [part.strip() for part in text.split(sep) if part.strip()]


@functools.cache
def _registry() -> tuple[tuple[Pollutant, ...], dict[str, Pollutant]]:
    """Load both CSVs once; refuse data where one name would mean two pollutants."""
    entries: list[tuple[Pollutant, list[str]]] = []
    with (DATA_DIR / "gb36600_2018.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            cas = row["cas"].strip() or None
            pollutant = Pollutant(
                key=row["key"].strip(),
                name_zh=row["pollutant_zh"].strip(),
                name_en=row["pollutant_en"].strip(),
                cas=cas,
                screening=(
                    _opt_float(row["screen_cat1"]),
                    _opt_float(row["screen_cat2"]),
                ),
                intervention=(
                    _opt_float(row["intervene_cat1"]),
                    _opt_float(row["intervene_cat2"]),
                ),
                background_footnote=row["background_footnote"].strip() or None,
            )
            # The m+p-xylene row carries two CAS numbers; either one finds it.
            names = [pollutant.name_zh, pollutant.name_en, *_split(row["aliases"], ";")]
            if cas:
                names += [cas, *_split(cas, ",")]
            entries.append((pollutant, names))
    with (DATA_DIR / "pollutants_extra.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            cas = row["cas"].strip() or None
            pollutant = Pollutant(
                key=row["key"].strip(),
                name_zh=row["pollutant_zh"].strip(),
                name_en=row["pollutant_en"].strip(),
                cas=cas,
                screening=(None, None),
                intervention=(None, None),
                background_footnote=None,
            )
            names = [pollutant.name_zh, pollutant.name_en, *_split(row["aliases"], ";")]
            if cas:
                names.append(cas)
            entries.append((pollutant, names))

    index: dict[str, Pollutant] = {}
    keys: set[str] = set()
    for pollutant, names in entries:
        if pollutant.key in keys or not pollutant.key:
            raise ValueError(f"pollutant key {pollutant.key!r} is empty or repeated")
        if pollutant.background_footnote not in (None, "both", "cat1"):
            raise ValueError(f"{pollutant.key}: bad background_footnote")
        keys.add(pollutant.key)
        for name in names:
            known = index.setdefault(_fold(name), pollutant)
            if known is not pollutant:
                raise ValueError(f"name {name!r} means both {known.key} and {pollutant.key}")
    return tuple(p for p, _ in entries), index


def all_pollutants() -> list[Pollutant]:
    """Every known pollutant: the 85 GB 36600 items, then those without a standard."""
    return list(_registry()[0])


@functools.cache
def _by_key() -> dict[str, Pollutant]:
    return {p.key: p for p in _registry()[0]}


def pollutant_by_key(key: str) -> Pollutant | None:
    """The pollutant stored under ``key`` (the stable slug kept on sample rows)."""
    return _by_key().get(key)


def lookup_pollutant(name: str) -> Pollutant | None:
    """Find a pollutant by Chinese or English name, CAS number or alias."""
    if not isinstance(name, str):
        return None
    return _registry()[1].get(_fold(name))


def _show(value: object, limit: int = 50) -> str:
    """A user's value for a message, cut short so an error cannot echo a whole upload."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


class _Invalid(Exception):
    """Internal: one bad field of one sample, re-keyed by the caller."""

    def __init__(self, field: str, message: str, unknown: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.unknown = unknown


CANONICAL_UNIT = {0: "mg/kg", -3: "μg/kg", 3: "g/kg"}


def canonical_unit(unit: str) -> str:
    """The unit as stored: "mg/kg", "μg/kg" or "g/kg", however it was typed."""
    return CANONICAL_UNIT[_unit_exponent(unit)]


def _unit_exponent(unit: object) -> int:
    if not isinstance(unit, str):
        raise _Invalid("unit", f"单位应为文本：“{_show(unit)}”")
    if not unit.strip():
        raise _Invalid("unit", "缺少单位")
    exponent = _UNITS.get(_fold(unit))
    if exponent is None:
        raise _Invalid("unit", f"未知单位：“{_show(unit.strip())}”（可用 mg/kg、μg/kg、g/kg）")
    return exponent


def _number(value: object, what: str, field: str = "value") -> float:
    """A finite, non-negative float from a JSON/CSV number; bool is not a number."""
    if type(value) is not float and (isinstance(value, bool) or not isinstance(value, Real)):
        raise _Invalid(field, f"{what}必须是数字：“{_show(value)}”")
    try:
        number = float(value)
    except OverflowError:
        raise _Invalid(field, f"{what}超出合理范围：“{_show(value)}”") from None
    if not math.isfinite(number):
        raise _Invalid(field, f"{what}必须是有限数：“{_show(value)}”")
    if number < 0:
        raise _Invalid(field, f"{what}不能为负数：“{_show(value)}”")
    return number


def _scaled(value: object, exponent: int, unit: object) -> float:
    number = _number(value, "检测值")
    if exponent:
        # Decimal scaling keeps "550 μg/kg" exactly equal to float("0.55"), so a
        # value at a boundary stays at it whatever unit the lab reported in.
        number = float(Decimal(repr(number)).scaleb(exponent))
    if number > MAX_MG_KG:
        raise _Invalid(
            "value",
            f"检测值超出合理范围（最大 1000000 mg/kg）：“{_show(value)} {_show(unit)}”",
        )
    return number


def to_mg_kg(value: float, unit: str) -> float:
    """Convert a content in mg/kg, μg/kg (ug/kg) or g/kg (or 毫克/千克…) to mg/kg."""
    try:
        return _scaled(value, _unit_exponent(unit), unit)
    except _Invalid as e:
        raise ValidationError(e.message, fields={e.field: e.message}) from None


def _category_index(land_category: object) -> int:
    if type(land_category) is not int or land_category not in (1, 2):
        message = f"用地类别必须是 1 或 2：“{_show(land_category)}”"
        raise ValidationError(message, fields={"land_category": message})
    return land_category - 1


def _level(pollutant: Pollutant, index: int, value: float, background: float | None = None) -> str:
    screening = pollutant.screening[index]
    if screening is None:
        return "no_standard"
    intervention = pollutant.intervention[index]
    # "超过" is strictly greater: a value equal to a limit does not exceed it.
    if intervention is not None and value > intervention:
        return "above_intervention"
    if value <= screening:
        return "below_screening"
    if background is not None and value <= background and pollutant.background_applies(index + 1):
        return "below_screening"  # 注①: within the local background, not contamination
    return "above_screening"


def level_for(
    pollutant: Pollutant,
    land_category: int,
    value_mg_kg: float,
    background_mg_kg: float | None = None,
) -> str:
    """Level of one content (mg/kg) for a land category, honouring GB 36600 注①."""
    index = _category_index(land_category)
    try:
        value = _number(value_mg_kg, "检测值")
        background = (
            None if background_mg_kg is None else _number(background_mg_kg, "背景值", "background")
        )
    except _Invalid as e:
        raise ValidationError(e.message, fields={e.field: e.message}) from None
    return _level(pollutant, index, value, background)


class _Errors:
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
            text = "未知污染物：" + "、".join(f"“{_show(n)}”" for n in names[:20])
            if len(names) > 20:
                text += f" 等 {len(names)} 种"
            parts.append(text)
        parts += self._others
        message = "；".join(parts)
        if self.count > 1:
            message += f"（共 {self.count} 处错误）"
        raise ValidationError(message, fields=self.fields)


class _Resolver:
    """Per-batch caches: each distinct raw name or unit is normalised once."""

    def __init__(self) -> None:
        self._names: dict[str, Pollutant | None] = {}
        self._units: dict[str, int] = {}

    def pollutant(self, name: object) -> Pollutant:
        if not isinstance(name, str) or not name.strip():
            raise _Invalid("pollutant", "缺少污染物")
        if len(name) > MAX_FIELD_CHARS:
            raise _Invalid("pollutant", f"污染物名称过长（最多 {MAX_FIELD_CHARS} 字）")
        try:
            found = self._names[name]
        except KeyError:
            found = self._names[name] = lookup_pollutant(name)
        if found is None:
            shown = _show(name.strip())
            raise _Invalid("pollutant", f"未知污染物：“{shown}”", unknown=name.strip())
        return found

    def measure(self, name: object, value: object, unit: object) -> tuple[Pollutant, float]:
        """Resolve one sample, reporting every bad field of it, not only the first."""
        problems = []
        pollutant = mg_kg = None
        try:
            pollutant = self.pollutant(name)
        except _Invalid as e:
            problems.append(e)
        try:
            key = unit if isinstance(unit, str) else ""
            exponent = self._units.get(key)
            if exponent is None:
                exponent = self._units[key] = _unit_exponent(unit)
            mg_kg = _scaled(value, exponent, unit)
        except _Invalid as e:
            problems.append(e)
        if problems:
            raise _Problems(problems)
        return pollutant, mg_kg


class _Problems(Exception):
    def __init__(self, problems: list[_Invalid]):
        super().__init__(problems[0].message)
        self.problems = problems


def _resolve_backgrounds(backgrounds: object) -> dict[str, float]:
    """Plot background values by pollutant key; only 注① pollutants use them."""
    if backgrounds is None:
        return {}
    if not isinstance(backgrounds, Mapping):
        raise ValidationError("背景值应为对象", fields={"backgrounds": "背景值应为对象"})
    errors = _Errors()
    resolved: dict[str, float] = {}
    for name, value in backgrounds.items():
        field = f"backgrounds.{_show(name)}"
        pollutant = lookup_pollutant(name)
        if pollutant is None:
            errors.add(field, f"未知污染物：“{_show(name)}”", unknown=_show(name))
            continue
        try:
            number = _number(value, "背景值")
        except _Invalid as e:
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
    index = _category_index(land_category)
    samples = _check_list(samples, MAX_SAMPLES)
    by_key = _resolve_backgrounds(backgrounds)
    resolver = _Resolver()
    errors = _Errors()
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
        except _Problems as p:
            for e in p.problems:
                errors.add(f"samples[{i}].{e.field}", e.message, e.unknown)
            continue
        level = _level(pollutant, index, mg_kg, by_key.get(pollutant.key))
        best = max(best, _RANK[level])
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
    max_level = next(name for name, rank in _RANK.items() if rank == best)
    return {"results": results, "max_level": max_level}


_SAMPLE_KEYS = frozenset({"point_id", "depth_m", "pollutant", "value", "unit"})


def _depth(value: object) -> float | None:
    if value is None:
        return None
    depth = _number(value, "深度", "depth_m")
    if depth > MAX_DEPTH_M:
        raise _Invalid("depth_m", f"深度超出合理范围（最大 {MAX_DEPTH_M:g} m）：“{_show(value)}”")
    return depth


def validate_samples_list(items: object) -> list[dict]:
    """Check the JSON form of samples (``data.samples``) and normalise it.

    Each item: ``pollutant`` (str), ``value`` (number), ``unit`` (str), optional
    ``point_id`` (str) and ``depth_m`` (number); other keys are refused.
    """
    items = _check_list(items, MAX_SAMPLES)
    resolver = _Resolver()
    errors = _Errors()
    out = []
    for i, item in enumerate(items):
        where = f"samples[{i}]"
        if not isinstance(item, dict):
            errors.add(where, "样品应为对象")
            continue
        bad = False
        for key in item:
            if key not in _SAMPLE_KEYS:
                errors.add(f"{where}.{_show(key)}", f"未知字段：“{_show(key)}”")
                bad = True
        for key in ("pollutant", "value", "unit"):
            if key not in item:
                errors.add(f"{where}.{key}", f"缺少字段：{key}")
                bad = True
        point_id = item.get("point_id", "")
        if not isinstance(point_id, str):
            errors.add(f"{where}.point_id", f"点位编号应为文本：“{_show(point_id)}”")
            bad = True
        elif len(point_id) > MAX_FIELD_CHARS:
            errors.add(f"{where}.point_id", f"点位编号过长（最多 {MAX_FIELD_CHARS} 字）")
            bad = True
        try:
            depth = _depth(item.get("depth_m"))
        except _Invalid as e:
            errors.add(f"{where}.depth_m", e.message)
            bad = True
        if bad:
            continue
        try:
            resolver.measure(item["pollutant"], item["value"], item["unit"])
        except _Problems as p:
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


# Header spellings accepted for each column, after _header() normalisation.
_HEADERS = {
    "point_id": ("point_id", "point", "点位编号", "点位", "点位号", "采样点位"),
    "depth_m": ("depth_m", "depth", "深度", "采样深度"),
    "pollutant": ("pollutant", "污染物", "污染物名称", "检测项目", "检测指标"),
    "value": ("value", "检测值", "检测结果", "含量"),
    "unit": ("unit", "单位"),
}
_HEADER_INDEX = {spelling: column for column, names in _HEADERS.items() for spelling in names}
_REQUIRED = ("pollutant", "value", "unit")
_COLUMN_ZH = {
    "point_id": "点位编号",
    "depth_m": "深度",
    "pollutant": "污染物",
    "value": "检测值",
    "unit": "单位",
}
_HEADER_SUFFIX = re.compile(r"\s*(?:[(\[【].*|/.*)$")
_HEADER_SEP = re.compile(r"[\s\-]+")


def _header(cell: str) -> str:
    """``"深度(m)"``, ``"深度/m"``, ``" Depth m"`` → a key of _HEADER_INDEX (or not)."""
    text = unicodedata.normalize("NFKC", cell).replace("\ufeff", "").strip().casefold()
    text = _HEADER_SUFFIX.sub("", text)
    return _HEADER_SEP.sub("_", text.strip())


def _decode(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8",)
        raw = raw[len(codecs.BOM_UTF8) :]
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        # A NUL never occurs in a text CSV; it means a spreadsheet or other binary.
        if "\x00" in text:
            break
        return text
    message = "样品文件不是 UTF-8 或 GB18030 编码的 CSV 文本（Excel 请“另存为 CSV UTF-8”）"
    raise ValidationError(message, fields={"samples": message})


def _csv_error(message: str) -> ValidationError:
    return ValidationError(message, fields={"samples": message})


def parse_samples_csv(
    raw: bytes, *, max_bytes: int = 5_000_000, max_rows: int = MAX_SAMPLES
) -> list[dict]:
    """Parse and check a samples CSV (DESIGN.md §3): UTF-8 (BOM or not) or GB18030,
    English or Chinese headers; errors name the 1-based line number.
    """
    if len(raw) > max_bytes:
        raise _csv_error(f"样品 CSV 过大：最多 {max_bytes} 字节")
    text = _decode(bytes(raw))
    reader = csv.reader(io.StringIO(text, newline=""))
    resolver = _Resolver()
    errors = _Errors()
    out: list[dict] = []
    columns: dict[str, int] | None = None
    rows = 0
    try:
        for cells in reader:
            cells = _checked_cells(cells, reader.line_num)
            if cells is None:
                continue
            if columns is None:
                columns, width = _read_header(cells, reader.line_num), len(cells)
                continue
            rows += 1
            if rows > max_rows:
                raise _csv_error(f"样品 CSV 行数过多：最多 {max_rows} 行样品")
            where = f"第 {reader.line_num} 行："
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            elif len(cells) > width and "".join(cells[width:]).strip():
                errors.add("samples", where + "列数多于表头")
                continue
            try:
                sample = _read_row(cells, columns)
                resolver.measure(sample["pollutant"], sample["value"], sample["unit"])
            except _Problems as p:
                for e in p.problems:
                    errors.add("samples", where + e.message, e.unknown)
                continue
            out.append(sample)
    except csv.Error as e:
        raise _csv_error(f"第 {reader.line_num} 行：CSV 格式错误（{e}）") from None
    if columns is None:
        raise _csv_error("样品 CSV 为空：至少需要表头和一个样品")
    errors.raise_if_any()
    if not out:
        raise _csv_error("至少需要一个样品")
    return out


def _checked_cells(cells: list[str], line: int) -> list[str] | None:
    """The row's cells, None for a blank row; refuses oversized rows."""
    if len(cells) > MAX_COLUMNS:
        raise _csv_error(f"第 {line} 行：列数过多（最多 {MAX_COLUMNS} 列）")
    if not "".join(cells).strip():
        return None  # blank line, or a row of empty cells from a spreadsheet
    if max(map(len, cells)) > MAX_FIELD_CHARS:
        raise _csv_error(f"第 {line} 行：单元格过长（最多 {MAX_FIELD_CHARS} 字）")
    for cell in cells:
        # The stored CSV is downloaded by officers into spreadsheets: a cell that
        # a spreadsheet would run as a formula is refused, not stored.
        if cell[:1] in ("=", "+", "@", "\t", "\r") or (
            cell[:1] == "-" and len(cell) > 1 and not (cell[1].isdigit() or cell[1] == ".")
        ):
            raise _csv_error(f"第 {line} 行：单元格“{cell[:20]}”以公式字符开头，请删除后上传")
    return cells


def _read_header(cells: list[str], line: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for at, cell in enumerate(cells):
        column = _HEADER_INDEX.get(_header(cell))
        if column is None:
            continue  # extra columns (remarks, lab IDs…) are allowed and ignored
        if column in columns:
            raise _csv_error(f"第 {line} 行：表头重复：“{cell.strip()}”")
        columns[column] = at
    missing = [f"{_COLUMN_ZH[c]}（{c}）" for c in _REQUIRED if c not in columns]
    if missing:
        raise _csv_error(f"第 {line} 行：表头缺少必需的列：" + "、".join(missing))
    return columns


def _csv_number(text: str, what: str, field: str) -> float:
    text = text.strip()
    # float() also takes "1_000"; "nan", "inf" and negatives fail later in _number.
    try:
        if "_" in text:
            raise ValueError
        number = float(text)
    except ValueError:
        raise _Invalid(field, f"{what}不是数字：“{_show(text)}”") from None
    return number


def _read_row(cells: list[str], columns: dict[str, int]) -> dict:
    """One data row as a sample dict; raises _Problems for bad numbers."""
    problems = []
    value = depth = None
    value_text = cells[columns["value"]].strip()
    if not value_text:
        problems.append(_Invalid("value", "缺少检测值"))
    else:
        try:
            value = _csv_number(value_text, "检测值", "value")
        except _Invalid as e:
            problems.append(e)
    depth_at = columns.get("depth_m")
    if depth_at is not None and cells[depth_at].strip():
        try:
            depth = _depth(_csv_number(cells[depth_at], "深度", "depth_m"))
        except _Invalid as e:
            problems.append(e)
    if problems:
        raise _Problems(problems)
    point_at = columns.get("point_id")
    return {
        "point_id": cells[point_at].strip() if point_at is not None else "",
        "depth_m": depth,
        "pollutant": cells[columns["pollutant"]].strip(),
        "value": value,
        "unit": cells[columns["unit"]].strip(),
    }


__all__ = [
    "LEVELS",
    "Pollutant",
    "all_pollutants",
    "level_for",
    "lookup_pollutant",
    "parse_samples_csv",
    "screen",
    "to_mg_kg",
    "validate_samples_list",
]
