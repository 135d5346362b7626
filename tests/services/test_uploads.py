import io
import os
import re
import time

import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from app.errors import TooLarge, UnsupportedMediaType
from app.services import uploads
from app.services.uploads import check_pdf, safe_download_name, sniff_image

MB = 1024 * 1024
LIMIT = 20 * MB


def pdf_bytes(build=None, pages=1):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if build:
        build(writer)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def raw_pdf(*objects: bytes, trailer_extra: bytes = b"") -> bytes:
    """A PDF written by hand: object i+1 is objects[i], catalog is object 1."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def refusal(data, **kwargs):
    with pytest.raises(UnsupportedMediaType) as err:
        check_pdf(data, max_bytes=kwargs.get("max_bytes", LIMIT))
    return err.value.message


# --- accepted


def test_blank_pdf_is_accepted():
    assert check_pdf(pdf_bytes(), max_bytes=LIMIT) == {
        "mime": "application/pdf",
        "pages": 1,
        "flags": [],
    }


def test_page_count_and_bytes_like_input():
    data = pdf_bytes(pages=3)
    assert check_pdf(data, max_bytes=LIMIT)["pages"] == 3
    assert check_pdf(bytearray(data), max_bytes=LIMIT)["pages"] == 3
    assert check_pdf(memoryview(data), max_bytes=LIMIT)["pages"] == 3


def test_hand_written_pdf_is_accepted():
    assert check_pdf(raw_pdf(CATALOG, PAGES, PAGE), max_bytes=LIMIT)["pages"] == 1


def test_font_subset_names_are_not_mistaken_for_actions():
    # "/AAAAAB+SimSun" starts with "/AA" but is a font name, not /AA.
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Note /AAAAAB+SimSun >>"
    assert check_pdf(raw_pdf(CATALOG, PAGES, page), max_bytes=LIMIT)["flags"] == []


def test_open_action_that_only_chooses_the_first_page_is_not_flagged():
    def go_to_first_page(w):
        page = w.pages[0].indirect_reference
        w.root_object[NameObject("/OpenAction")] = ArrayObject([page, NameObject("/Fit")])

    assert check_pdf(pdf_bytes(go_to_first_page), max_bytes=LIMIT)["flags"] == []


# --- refused: not a PDF, damaged, encrypted, too large


def test_empty_file_is_refused():
    assert "为空" in refusal(b"")


def test_junk_before_the_header_is_refused():
    # A GIF/PDF polyglot: readers find %PDF- in the first 1 KB, we do not.
    message = refusal(b"GIF89a\x01\x00\x01\x00" + pdf_bytes())
    assert "不在文件开头" in message
    assert "10 字节" in message
    assert "不在文件开头" in refusal(b"\xef\xbb\xbf" + pdf_bytes())


def test_html_renamed_to_pdf_is_refused():
    html = b"<!DOCTYPE html>\n<html><head><script>alert(1)</script></head></html>\n"
    assert "HTML" in refusal(html)
    assert "HTML" in refusal(b"  \r\n<html><body>%PDF-1.7</body></html>")


def test_other_formats_are_named():
    assert "image/png" in refusal(b"\x89PNG\r\n\x1a\n" + b"\0" * 50)
    assert "ZIP" in refusal(b"PK\x03\x04" + b"\0" * 50)
    assert "不是 PDF" in refusal(b"just some text")


def test_truncated_pdf_is_refused():
    data = pdf_bytes(pages=3)
    for cut in (len(data) // 2, len(data) - 7, 200):
        assert "不完整" in refusal(data[:cut]), cut


def test_truncated_body_with_an_end_marker_is_refused():
    # Cut in the middle, then an %%EOF glued on: the marker alone is not enough.
    data = pdf_bytes(pages=3)
    assert "无法解析" in refusal(data[: len(data) // 2] + b"\n%%EOF\n")


def test_garbage_after_the_header_is_refused():
    assert "无法解析" in refusal(b"%PDF-1.7\n" + os.urandom(4000) + b"\n%%EOF\n")


def test_pdf_without_pages_is_refused():
    broken_tree = raw_pdf(CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>")
    assert "没有任何页面" in refusal(broken_tree)
    assert refusal(raw_pdf(b"<< /Type /Catalog >>"))


def test_encrypted_pdf_is_refused():
    user_password = pdf_bytes(lambda w: w.encrypt("secret", algorithm="RC4-128"))
    assert "加密" in refusal(user_password)
    # Only an owner password (opens without asking): still encrypted content.
    owner_only = pdf_bytes(lambda w: w.encrypt("", "owner", algorithm="RC4-128"))
    assert "加密" in refusal(owner_only)


def test_oversize_is_refused_before_parsing():
    with pytest.raises(TooLarge) as err:
        check_pdf(b"%PDF-1.7\n" + b"\0" * (2 * MB), max_bytes=1 * MB)
    assert "2 MB" in err.value.message
    assert "1 MB" in err.value.message
    # Exactly at the limit is fine.
    data = pdf_bytes()
    assert check_pdf(data, max_bytes=len(data))["pages"] == 1
    with pytest.raises(TooLarge):
        check_pdf(data, max_bytes=len(data) - 1)


# --- flagged, not refused


def flags_of(data):
    return check_pdf(data, max_bytes=LIMIT)["flags"]


def test_document_javascript_is_flagged():
    # pypdf 7 removed add_js; add_open_action(JavaScript) fills /Names /JavaScript.
    data = pdf_bytes(lambda w: w.add_open_action(JavaScript("app.alert('x');")))
    assert flags_of(data) == ["javascript"]


def test_javascript_is_found_by_the_walk_not_only_by_the_byte_scan(monkeypatch):
    monkeypatch.setattr(uploads, "_RAW_NAMES", re.compile(rb"(?!)"))
    data = pdf_bytes(lambda w: w.add_open_action(JavaScript("app.alert('x');")))
    assert flags_of(data) == ["javascript"]


def test_attachment_is_flagged():
    data = pdf_bytes(lambda w: w.add_attachment("samples.csv", b"point_id,value\nS1,3.2\n"))
    assert flags_of(data) == ["embedded_file"]


def test_launch_open_action_is_flagged():
    def launch(w):
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("cmd.exe"),
            }
        )
        w.root_object[NameObject("/OpenAction")] = w._add_object(action)

    assert flags_of(pdf_bytes(launch)) == ["launch", "open_action"]


def test_script_behind_a_link_annotation_is_flagged(monkeypatch):
    monkeypatch.setattr(uploads, "_RAW_NAMES", re.compile(rb"(?!)"))

    def link(w):
        js = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.launchURL('http://x');"),
            }
        )
        rect = ArrayObject([FloatObject(0), FloatObject(0), FloatObject(50), FloatObject(50)])
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): rect,
                NameObject("/A"): js,
                NameObject("/AA"): DictionaryObject(),
            }
        )
        w.add_annotation(0, annotation)

    assert flags_of(pdf_bytes(link)) == ["additional_actions", "javascript"]


def test_xfa_and_rich_media_are_flagged():
    catalog = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>"
    xfa = b"<< /Length 7 >>\nstream\n<xdp/>\n\nendstream"
    rich = b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>"
    assert flags_of(raw_pdf(catalog, PAGES, page, xfa, rich)) == ["rich_media", "xfa"]


def test_byte_scan_flags_objects_the_catalog_does_not_reach():
    # An orphan object another reader could be tricked into using.
    orphan = b"<< /S /Launch /F (calc.exe) >>"
    assert flags_of(raw_pdf(CATALOG, PAGES, PAGE, orphan)) == ["launch"]


def test_twenty_megabyte_pdf_is_checked_quickly():
    # 400 pages, each with a ~50 KB uncompressed content stream.
    content = b"0 0 m 100 100 l S\n" * 2900
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count 400 >>"
        % b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(400)),
    ]
    for i in range(400):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>"
            % (4 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    data = raw_pdf(*objects)
    assert 19 * MB < len(data) <= LIMIT
    started = time.perf_counter()
    result = check_pdf(data, max_bytes=LIMIT)
    elapsed = time.perf_counter() - started
    assert result == {"mime": "application/pdf", "pages": 400, "flags": []}
    assert elapsed < 3, elapsed


# --- download names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("报告.pdf", "报告.pdf"),
        ("土壤 调查报告（终稿）.pdf", "土壤 调查报告（终稿）.pdf"),
        ("报告\r\nSet-Cookie: a=b.pdf", "报告Set-Cookie a=b.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\报告.pdf", "报告.pdf"),
        ("C:报告.pdf", "报告.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("\"quoted\" 'name'.pdf", "quoted name.pdf"),
        ("多个\u3000\u3000空格   名称.pdf", "多个 空格 名称.pdf"),
        ("报告\u202efdp.exe", "报告fdp.exe"),
        (".htaccess", "htaccess"),
        ("report.pdf. . ", "report.pdf"),
    ],
)
def test_safe_download_name(given, expected):
    assert safe_download_name(given) == expected


@pytest.mark.parametrize("given", ["", "   ", "..", "../", "dir/", "\r\n", None])
def test_safe_download_name_falls_back_to_default(given):
    assert safe_download_name(given) == "document.pdf"
    assert safe_download_name(given, default="联单.pdf") == "联单.pdf"


def test_long_names_are_capped_keeping_the_extension():
    name = safe_download_name("甲" + "污染土壤" * 60 + ".pdf")
    assert len(name) == 120
    assert name == "甲" + "污染土壤" * 28 + "污染土" + ".pdf"
    no_extension = safe_download_name("长" * 300)
    assert no_extension == "长" * 120


# --- images


def test_sniff_image():
    assert sniff_image(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert sniff_image(b"\x89PNG\r\n\x1a\n\x00\x00") == "image/png"
    assert sniff_image(b"RIFF\x24\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b"RIFF\x24\x00\x00\x00WAVEfmt ") is None
    assert sniff_image(pdf_bytes()) is None
    assert sniff_image(b"") is None
