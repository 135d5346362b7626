"""Checks on uploaded files, made on their content and never on the file name
or the MIME type the browser declared (both are chosen by the uploader).

A PDF is accepted only when it is what a reviewer's PDF viewer will open: it
starts with ``%PDF-`` at byte 0, ends with ``%%EOF``, pypdf can read its
trailer, catalog and page tree, and it is not encrypted (an encrypted filing
cannot be read, indexed or archived by the bureau). Active content is not
refused, since legitimate forms do carry scripts, but it is reported in
``flags`` so the reviewer opens the file with care.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from typing import TypedDict

from app.errors import TooLarge, UnsupportedMediaType

PDF_MIME = "application/pdf"


class PdfCheck(TypedDict):
    mime: str
    pages: int
    flags: list[str]


# Flag -> what the reviewer is told.
FLAG_LABELS = {
    "javascript": "含 JavaScript 脚本",
    "open_action": "打开文件时自动执行动作",
    "additional_actions": "含附加触发动作（/AA）",
    "launch": "含启动外部程序的动作",
    "embedded_file": "含嵌入的附件文件",
    "rich_media": "含富媒体（Flash/视频等）",
    "xfa": "含 XFA 动态表单",
    "scan_incomplete": "文件结构过于复杂，未能检查全部内容",
}

# Adobe readers accept a PDF whose %%EOF lies within the last 1024 bytes; a file
# cut off by an interrupted upload has none there.
_EOF_WINDOW = 1024
# Upper bound on the objects visited when looking for active content; a real
# 20 MB report has a few thousand, so this only stops pathological files.
_MAX_NODES = 200_000

# Extra signal from the raw bytes: catches objects pypdf's view of the file does
# not reach (e.g. a second xref section another reader would follow). A PDF
# name ends at whitespace or a delimiter, so "/AAAAAB+SimSun" (a font subset
# tag) does not count as "/AA". /OpenAction is left to the structural walk:
# most PDFs have a harmless one that only sets the initial page and zoom.
_RAW_NAMES = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|AA|RichMedia|XFA)(?=[\s/<>\[\]()%{}]|\Z)"
)
_RAW_FLAG = {
    b"JavaScript": "javascript",
    b"JS": "javascript",
    b"Launch": "launch",
    b"EmbeddedFile": "embedded_file",
    b"EmbeddedFiles": "embedded_file",
    b"AA": "additional_actions",
    b"RichMedia": "rich_media",
    b"XFA": "xfa",
}

# Parts of the object graph that cannot hold actions or attachments and are
# where the bulk of a large PDF lives (page content, fonts, images, tagging).
_SKIP_KEYS = frozenset(
    {
        "/Parent",
        "/P",
        "/Contents",
        "/Resources",
        "/AP",
        "/Metadata",
        "/StructTreeRoot",
        "/Thumb",
        "/PieceInfo",
        "/OutputIntents",
    }
)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.3g}"


def _not_pdf_reason(data: bytes) -> str:
    """Why ``data`` does not start like a PDF, naming what it looks like instead."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    image = sniff_image(data)
    if image:
        kind = f"图片（{image}）"
    elif head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<script" in head:
        kind = "HTML 网页"
    elif head.startswith(b"<"):
        kind = "XML 或网页文本"
    elif data.startswith(b"PK\x03\x04"):
        kind = "ZIP 压缩包或 Office/OFD 文档"
    elif data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        kind = "旧版 Office 文档（doc/xls）"
    else:
        kind = None
    if kind:
        return f"文件内容是{kind}，不是 PDF 文件（仅改扩展名无效），请上传 PDF 文件"
    where = data.find(b"%PDF-", 0, 1024)
    if where > 0:
        # Readers accept a header anywhere in the first 1 KB, which is how
        # GIF/PDF and similar polyglots are made; we want byte 0.
        return (
            f"PDF 标识 %PDF- 不在文件开头（前面有 {where} 字节其他数据），"
            "这种文件可能被伪装成其他类型，不予接收，请重新导出 PDF 后上传"
        )
    return "文件开头不是 PDF 标识 %PDF-，不是 PDF 文件，请上传 PDF 文件"


def check_pdf(data: bytes, *, max_bytes: int) -> PdfCheck:
    """Accept ``data`` as a PDF or raise; return ``{"mime", "pages", "flags"}``.

    Raises TooLarge beyond ``max_bytes`` and UnsupportedMediaType when the
    content is empty, not a PDF, truncated, unreadable or encrypted, each with
    a message saying which. ``flags`` lists the active content found (keys of
    ``FLAG_LABELS``), sorted.
    """
    data = bytes(data)
    if not data:
        raise UnsupportedMediaType("上传的文件为空（0 字节），请重新选择 PDF 文件")
    if len(data) > max_bytes:
        raise TooLarge(
            f"文件大小为 {_mb(len(data))} MB，超过 {_mb(max_bytes)} MB 的上限，请压缩或拆分后上传"
        )
    if not data.startswith(b"%PDF-"):
        raise UnsupportedMediaType(_not_pdf_reason(data))
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise UnsupportedMediaType(
            "PDF 文件不完整（末尾缺少 %%EOF 结束标记），可能上传中断或文件已损坏，请重新导出后上传"
        )
    if data[data.rfind(b"%%EOF") + 5 :].strip(b"\r\n\t\f \x00"):
        # Bytes after the final %%EOF are another file riding along (a polyglot).
        raise UnsupportedMediaType(
            "PDF 文件在 %%EOF 结束标记之后还附带了其他数据，请重新导出后上传"
        )

    # Imported here so that importing this module stays cheap for callers that
    # only need safe_download_name or sniff_image.
    from pypdf import PdfReader

    unreadable = "无法解析该 PDF 文件（文件已损坏或格式不正确），请用 PDF 软件重新导出后上传"
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types on damaged input
        raise UnsupportedMediaType(unreadable) from exc
    if encrypted:
        raise UnsupportedMediaType("PDF 文件已加密（设有打开密码或权限密码），请取消加密后重新上传")
    try:
        root = reader.trailer["/Root"].get_object()
        if "/Pages" not in root:
            raise ValueError("catalog without /Pages")
        pages = len(reader.pages)  # walks the whole page tree
        for page in reader.pages:
            if "/Type" in page and page["/Type"] != "/Page":
                raise ValueError("non-page object in page tree")
        flags = _active_content(root)
    except Exception as exc:
        raise UnsupportedMediaType(unreadable) from exc
    if pages < 1:
        raise UnsupportedMediaType("PDF 文件没有任何页面，请检查后重新上传")
    flags |= {_RAW_FLAG[m.group(1)] for m in _RAW_NAMES.finditer(data)}
    return PdfCheck(mime=PDF_MIME, pages=pages, flags=sorted(flags))


def _children(obj: object) -> Iterator[object]:
    from pypdf.generic import ArrayObject, DictionaryObject

    if isinstance(obj, DictionaryObject):
        # Raw values (IndirectObject not yet resolved) so the walk can tell an
        # object it has already seen.
        for key, value in dict.items(obj):
            if key not in _SKIP_KEYS:
                yield value
    elif isinstance(obj, ArrayObject):
        yield from list.__iter__(obj)


def _active_content(root: object) -> set[str]:
    """Flags for the actions and attachments reachable from the document catalog.

    Walks the catalog and everything it references (names tree, outlines,
    AcroForm fields, pages and their annotations), so a script hidden in a
    bookmark, a link or a form field is found as well as a document-level one.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    flags: set[str] = set()
    open_action = _name(root, "/OpenAction") if isinstance(root, DictionaryObject) else None
    # A destination array ([page /Fit]) or a GoTo only chooses the first page
    # shown; any other action runs something when the file is opened.
    if isinstance(open_action, DictionaryObject) and _name(open_action, "/S") != "/GoTo":
        flags.add("open_action")

    seen: set[tuple[int, int]] = set()
    stack: list[object] = [root]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        if not isinstance(obj, (DictionaryObject, ArrayObject)):
            continue
        visited += 1
        if visited > _MAX_NODES:
            flags.add("scan_incomplete")
            break
        if isinstance(obj, DictionaryObject):
            flags |= _dict_flags(obj)
        stack.extend(_children(obj))
    return flags


def _name(d: dict, key: str) -> object:
    # The value of a name entry, following an indirect reference if any.
    value = dict.get(d, key)
    return value.get_object() if value is not None else None


def _dict_flags(d: dict) -> set[str]:
    found = set()
    action = _name(d, "/S")
    subtype = _name(d, "/Subtype")
    if "/JS" in d or "/JavaScript" in d or action == "/JavaScript":
        found.add("javascript")
    if action == "/Launch":
        found.add("launch")
    if "/AA" in d:
        found.add("additional_actions")
    if (
        "/EmbeddedFiles" in d
        or "/EF" in d
        or _name(d, "/Type") == "/EmbeddedFile"
        or subtype == "/FileAttachment"
    ):
        found.add("embedded_file")
    if subtype == "/RichMedia" or "/RichMediaContent" in d:
        found.add("rich_media")
    if "/XFA" in d:
        found.add("xfa")
    return found


def sniff_image(data: bytes) -> str | None:
    """'image/jpeg', 'image/png' or 'image/webp' from the magic bytes, else None."""
    head = bytes(data[:12])
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


_MAX_NAME = 120
_DROP = frozenset("\"'`<>:|?*")


def safe_download_name(name: str, default: str = "document.pdf") -> str:
    """A file name safe for Content-Disposition and for the user's disk.

    Keeps only the last path component (``/`` and ``\\`` both separate); drops
    control and format characters (CR/LF, NUL, and the right-to-left override
    U+202E that can make "报告[RLO]fdp.exe" display as "报告exe.pdf"), quotes and
    the characters Windows forbids; collapses whitespace; strips leading dots;
    caps the name at 120 characters keeping the extension. Chinese characters
    are kept. Falls back to ``default`` when nothing usable is left.
    """
    if not isinstance(name, str):
        return default
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"^[A-Za-z]:", "", name)  # drive-relative "C:报告.pdf"
    kept = []
    for ch in name:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Cn") or ch in _DROP:
            continue
        kept.append(" " if ch.isspace() else ch)
    name = " ".join("".join(kept).split())
    # Leading dots make hidden files and "..", trailing dots and spaces are
    # silently removed by Windows.
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return default
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 1 <= len(ext) <= 16 and ext.isascii() and ext.isalnum():
            suffix = "." + ext
            name = stem[: _MAX_NAME - len(suffix)].rstrip(". ") + suffix
        else:
            name = name[:_MAX_NAME].rstrip(". ")
    return name or default
