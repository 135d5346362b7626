"""Importing the county's existing lists (DESIGN §12) of suspected contaminated plots
(疑似污染地块) or key supervised units (重点监管单位) from CSV (UTF-8, BOM or not, or
GB18030) or XLSX with Chinese headers. ``read`` checks every row and stores nothing;
``sign`` turns that preview into a token; ``confirm`` checks every row again (the
database may have changed) and stores all in one transaction, or none.
"""

from __future__ import annotations

import csv
import io
import math
import secrets
import zipfile
from dataclasses import dataclass, field
from typing import NoReturn

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from openpyxl import load_workbook
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.models import KeyUnit, LedgerEvent, Party, User
from app.services import key_units, ledger, suspects
from app.services.screening.csv_reading import decode_text, formula_like, header_key
from app.services.sites import PLANNED_USE_ZH
from workflows import presurvey as rules

MAX_BYTES, MAX_ROWS, MAX_COLUMNS = 5_000_000, 2_000, 100
MAX_UNZIPPED = 50_000_000  # an XLSX is a zip: one inflating past this is not parsed
TITLE_ROWS = 5  # title lines allowed above the header ("陇川县疑似污染地块清单")
SALT = "presurvey-import"
EXPIRED = "导入已过期或无效，请重新上传"
NOT_XLSX = "文件不是有效的 XLSX 工作簿（请用 Excel 或 WPS 另存为 .xlsx 或 CSV 后上传）"

# Header spellings of each column, the Chinese label first; the field name is
# accepted too. Matching ignores case, spaces and a unit in brackets ("面积(平方米)").
COLUMNS = {
    "suspected": {"name": ("地块名称", "名称"), "township": ("乡镇",), "address": ("地址",),
                  "former_industry": ("原行业", "原从事行业"), "source": ("来源",),
                  "landholder_credit_code": ("土地使用权人统一社会信用代码", "使用权人信用代码"),
                  "area_m2": ("面积",), "planned_use": ("规划用途",), "note": ("备注",),
                  "county": ("县（市、区）", "县市区", "县", "行政区划代码")},
    "key_units": {"credit_code": ("统一社会信用代码",), "name": ("单位名称",), "year": ("年度",),
                  "industry": ("行业",), "township": ("乡镇",), "address": ("地址",),
                  "county": ("县（市、区）", "县市区", "县", "行政区划代码")},
}  # fmt: skip
REQUIRED = {"suspected": ("name", "township", "address", "former_industry", "source"),
            "key_units": ("credit_code", "year")}  # fmt: skip
_INDEX = {kind: {header_key(s): f for f, names in columns.items() for s in (f, *names)}
          for kind, columns in COLUMNS.items()}  # fmt: skip
# A 来源 or 规划用途 cell may hold the code or its Chinese label.
_CODES = {
    "source": {header_key(s): c for c, label in rules.SOURCE_LABELS_ZH.items() for s in (c, label)},
    "planned_use": {header_key(s): c for c, label in PLANNED_USE_ZH.items() for s in (c, label)},
}
_CHOICES = {"source": "、".join(rules.SOURCE_LABELS_ZH.values()),
            "planned_use": "、".join(u.split("（")[0] for u in PLANNED_USE_ZH.values())}  # fmt: skip
_MODULE = {"suspected": suspects, "key_units": key_units}


@dataclass
class Row:
    line: int  # the spreadsheet's row number, 1-based (the header is usually 1)
    values: dict  # the cleaned payload of suspects.prepare / key_units.prepare
    errors: dict[str, str] = field(default_factory=dict)  # field → Chinese message


@dataclass
class Preview:
    kind: str
    filename: str
    rows: list[Row]

    @property
    def error_count(self) -> int:  # rows with at least one error
        return sum(1 for row in self.rows if row.errors)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.error_count


def _fail(message: str, key: str = "file") -> NoReturn:
    raise ValidationError(message, {key: message})


def read(kind: str, filename: str, raw: bytes, *, user: User | None = None) -> Preview:
    """Check every row of an uploaded list as ``user`` would add it (each row's
    county: its 县 column, else the officer's own); stores nothing. A bad file
    raises ValidationError, a bad row has ``errors``; key units already listed in
    their county that year are flagged too."""
    if kind not in rules.IMPORT_KINDS:
        _fail(f"导入类型须为 {', '.join(rules.IMPORT_KINDS)} 之一", "kind")
    if len(raw) > MAX_BYTES:
        _fail(f"文件过大：最多 {MAX_BYTES // 1_000_000} MB")
    name = (filename or "").strip()
    ext = name.rsplit(".", 1)[-1].casefold() if "." in name else ""
    if ext == "csv":
        lines = csv_lines(bytes(raw))
    elif ext == "xlsx":
        lines = xlsx_lines(bytes(raw))
    else:
        _fail("仅支持 CSV 或 XLSX 文件（旧版 .xls 请另存为 .xlsx 或 CSV 后上传）")
    rows = [_check(kind, line, record, user) for line, record in _records(kind, lines)]
    if not rows:
        _fail("文件中没有数据行")
    if kind == "key_units":
        _flag_listed_twice(rows)
    return Preview(kind, name, rows)


def csv_lines(raw: bytes):
    try:
        text = decode_text(raw)
    except ValidationError:
        _fail("文件不是 UTF-8 或 GB18030 编码的 CSV 文本（可直接上传 .xlsx）")
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0
    try:
        # Rows are counted as a spreadsheet shows them (a quoted cell may span lines).
        for line, cells in enumerate(reader, start=1):
            yield line, cells[:MAX_COLUMNS]
    except csv.Error as exc:
        _fail(f"第 {line + 1} 行：CSV 格式错误（{exc}）")


def xlsx_lines(raw: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                _fail(f"XLSX 文件解压后过大：最多 {MAX_UNZIPPED // 1_000_000} MB")
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except ValidationError:
        raise
    except Exception:  # not a zip, or openpyxl's KeyError, InvalidFileException…
        _fail(NOT_XLSX)
    try:
        # Missing rows come back empty, so the count is the row number Excel shows.
        rows = book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
        for line, row in enumerate(rows, start=1):
            yield line, list(row)
    except Exception:  # no sheet or a malformed one: the uploader's problem, not a 500
        _fail(NOT_XLSX)
    finally:
        book.close()


def _text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # XLSX stores 2026 or an all-digit code as 2026.0
    return "" if cell is None else str(cell).strip()


def _records(kind: str, lines):
    """(line, {field: cell}) of each data row under the header; blank rows skipped."""
    index, columns, titles, count = _INDEX[kind], None, 0, 0
    for line, cells in lines:
        if not any(_text(c) for c in cells):
            continue
        if columns is None:
            if not any(header_key(_text(c)) in index for c in cells) and titles < TITLE_ROWS:
                titles += 1
                continue
            columns = _columns(kind, line, cells)
            continue
        record = {f: cells[at] for f, at in columns.items() if at < len(cells)}
        if not any(_text(c) for c in record.values()):
            continue  # e.g. a template row with only its 序号 filled in
        count += 1
        if count > MAX_ROWS:
            _fail(f"数据行过多：最多 {MAX_ROWS} 行")
        yield line, record
    if columns is None:
        _fail("文件中没有表头：第一行应为列名（" + _labels(kind, REQUIRED[kind]) + "）")


def _labels(kind: str, fields) -> str:
    return "、".join(f"{COLUMNS[kind][f][0]}（{f}）" for f in fields)


def _columns(kind: str, line: int, cells: list) -> dict[str, int]:
    columns: dict[str, int] = {}
    for at, cell in enumerate(cells):
        name = _INDEX[kind].get(header_key(_text(cell)))
        if name is None:
            continue  # other columns (序号, 经纬度, remarks…) are ignored
        if name in columns:
            _fail(f"第 {line} 行：表头重复：“{_text(cell)}”")
        columns[name] = at
    missing = [f for f in REQUIRED[kind] if f not in columns]
    if missing:
        _fail(f"第 {line} 行：表头缺少必需的列：" + _labels(kind, missing))
    return columns


def _number(cell) -> float | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).strip().removesuffix("年").replace(",", "")  # "2026年", "15,230.5"
    try:
        return None if "_" in text else float(text)
    except ValueError:
        return None


def _check(kind: str, line: int, record: dict, user: User | None) -> Row:
    values: dict = {}
    errors: dict[str, str] = {}  # the cell's own problems; they win over prepare's
    for name, cell in record.items():
        text = _text(cell)
        if not text:
            continue
        if isinstance(cell, str) and formula_like(cell):
            # OWASP CSV injection: the list is exported again and opened in spreadsheets.
            errors[name] = "以公式字符（= + - @）开头，请删除后上传"
        elif name == "area_m2":
            values[name] = number = _number(cell)
            if number is None:
                errors[name] = "须为数字"
        elif name == "year":
            number = _number(cell)
            if number is None or not math.isfinite(number) or not number.is_integer():
                errors[name] = "须为整数年份"
            else:
                values[name] = int(number)
        elif name in _CODES:
            values[name] = _CODES[name].get(header_key(text), text)
        else:
            values[name] = text
    try:
        data = _MODULE[kind].prepare(values, user=user)
    except ValidationError as exc:
        found = dict(exc.fields or {"_": exc.message})
        for name in _CODES:
            if name in found and name in values:
                found[name] = f"无法识别“{values[name]}”，须为 {_CHOICES[name]} 之一"
        return Row(line, values, {**found, **errors})
    if not errors:
        values = {k: v for k, v in data.items() if k in COLUMNS[kind]}
        values["county"] = data["county_code"]
    return Row(line, values, errors)


def _flag_listed_twice(rows: list[Row]) -> None:
    """A unit is listed once a year per county: in the file, and in the DB."""
    first: dict[tuple, int] = {}
    good = [row for row in rows if not row.errors]
    codes = sorted({row.values["credit_code"] for row in good})
    counties = sorted({row.values["county"] for row in good})
    query = select(Party.credit_code, KeyUnit.year, KeyUnit.county_code).join(KeyUnit.party)
    query = query.where(KeyUnit.county_code.in_(counties), Party.credit_code.in_(codes))
    listed = set(db.session.execute(query).tuples()) if good else set()
    for row in good:
        key = (row.values["credit_code"], row.values["year"], row.values["county"])
        if key in listed:
            row.errors["credit_code"] = f"已列入 {key[1]} 年度重点监管单位名录"
        elif key in first:
            row.errors["credit_code"] = f"与第 {first[key]} 行重复（同一单位同一年度）"
        else:
            first[key] = row.line


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def sign(preview: Preview, user: User) -> str:
    """The preview as a signed token for ``confirm`` by the same officer, once; only
    a preview without errors."""
    if not preview.ok:
        _fail("导入文件有误：请改正标出的行后重新上传")
    rows, lines = [row.values for row in preview.rows], [row.line for row in preview.rows]
    body = {"kind": preview.kind, "filename": preview.filename, "rows": rows, "lines": lines,
            "user": user.id, "nonce": secrets.token_hex(16)}  # fmt: skip
    return _serializer().dumps(body)


def _already_imported(nonce: str, seq: int) -> bool:
    events = db.session.scalars(
        select(LedgerEvent.detail).where(
            LedgerEvent.action == "presurvey_imported", LedgerEvent.seq != seq
        )
    )
    return any((detail or {}).get("nonce") == nonce for detail in events)


def confirm(user: User, token: str, max_age: int = 3600) -> list:
    """Store every row of a signed preview and its ledger events, or none of them.
    Bureau only. Commits once; returns the created Suspect or KeyUnit rows."""
    suspects.bureau(user)
    try:
        body = _serializer().loads(token, max_age=max_age) if isinstance(token, str) else None
    except BadData:  # forged, tampered with or expired
        body = None
    if not isinstance(body, dict) or body.get("kind") not in rules.IMPORT_KINDS:
        _fail(EXPIRED, "token")
    if body.get("user") != user.id:
        _fail(EXPIRED, "token")  # previewed by another officer
    kind, module, created = body["kind"], _MODULE[body["kind"]], []
    try:
        # One record of the import, first: it takes the ledger's lock, so a second
        # confirmation of the same preview (a double click) waits, then finds it.
        event = ledger.append("presurvey_imported", actor=user,
                              detail={"kind": kind, "file": body["filename"],
                                      "rows": len(body["rows"]), "nonce": body["nonce"]})  # fmt: skip
        if _already_imported(body["nonce"], event.seq):
            _fail("该预览已经导入，未重复导入", "token")
        for line, values in zip(body["lines"], body["rows"], strict=True):
            try:
                created.append(module.add(user, module.prepare(values, user=user)))
            except ValidationError as exc:
                found = exc.fields or {"_": exc.message}
                labels = {f: f"{names[0]}：" for f, names in COLUMNS[kind].items()}
                said = "；".join(labels.get(f, "") + m for f, m in found.items())
                message = f"第 {line} 行：{said}。未导入任何数据，请改正后重新上传"
                found = {f: f"第 {line} 行：{m}" for f, m in found.items()}
                raise ValidationError(message, found) from None
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return created
