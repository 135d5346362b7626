"""Reading a laboratory's sample CSV (DESIGN.md §3): UTF-8 with or without BOM or
GB18030, English or Chinese headers, cell by cell with the line named in errors."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata

from app.errors import ValidationError
from app.services.screening.samples import (
    MAX_COLUMNS,
    MAX_FIELD_CHARS,
    MAX_SAMPLES,
    FieldErrors,
    Problems,
    Resolver,
    depth_of,
)
from app.services.screening.units import InvalidField, show

# Header spellings accepted for each column, after header_key() normalisation.
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


def header_key(cell: str) -> str:
    """``"深度(m)"``, ``"深度/m"``, ``" Depth m"`` → a key of _HEADER_INDEX (or not)."""
    text = unicodedata.normalize("NFKC", cell).replace("\ufeff", "").strip().casefold()
    text = _HEADER_SUFFIX.sub("", text)
    return _HEADER_SEP.sub("_", text.strip())


def decode_text(raw: bytes) -> str:
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
    text = decode_text(bytes(raw))
    reader = csv.reader(io.StringIO(text, newline=""))
    resolver = Resolver()
    errors = FieldErrors()
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
            except Problems as p:
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
        if formula_like(cell):
            raise _csv_error(f"第 {line} 行：单元格“{cell[:20]}”以公式字符开头，请删除后上传")
    return cells


# OWASP, CSV Injection: a cell a spreadsheet may run as a formula starts with
# = + - @ TAB or CR (also after leading spaces or a quote some programs strip). The
# stored CSV is downloaded by officers into spreadsheets, so such a cell is refused,
# unless it is nothing but a signed number ("-0.5", "+3", "-1e-3").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_like(cell: str) -> bool:
    head = cell.lstrip(" \"'")
    if not head.startswith(_FORMULA_START) and not cell.startswith(_FORMULA_START):
        return False
    # A lone dash ("not measured") cannot be a formula either.
    return not (_SIGNED_NUMBER.fullmatch(cell.strip()) or cell.strip() == "-")


def _read_header(cells: list[str], line: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for at, cell in enumerate(cells):
        column = _HEADER_INDEX.get(header_key(cell))
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
    # float() also takes "1_000"; "nan", "inf" and negatives fail later in number_of.
    try:
        if "_" in text:
            raise ValueError
        number = float(text)
    except ValueError:
        raise InvalidField(field, f"{what}不是数字：“{show(text)}”") from None
    return number


def _read_row(cells: list[str], columns: dict[str, int]) -> dict:
    """One data row as a sample dict; raises Problems for bad numbers."""
    problems = []
    value = depth = None
    value_text = cells[columns["value"]].strip()
    if not value_text:
        problems.append(InvalidField("value", "缺少检测值"))
    else:
        try:
            value = _csv_number(value_text, "检测值", "value")
        except InvalidField as e:
            problems.append(e)
    depth_at = columns.get("depth_m")
    if depth_at is not None and cells[depth_at].strip():
        try:
            depth = depth_of(_csv_number(cells[depth_at], "深度", "depth_m"))
        except InvalidField as e:
            problems.append(e)
    if problems:
        raise Problems(problems)
    point_at = columns.get("point_id")
    return {
        "point_id": cells[point_at].strip() if point_at is not None else "",
        "depth_m": depth,
        "pollutant": cells[columns["pollutant"]].strip(),
        "value": value,
        "unit": cells[columns["unit"]].strip(),
    }
