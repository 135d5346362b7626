"""PDF rendering with WeasyPrint, sealed off from the network and the disk.

``render_pdf(template_name, **context)`` renders a Jinja template to HTML and
prints it. The HTML may reference only ``data:`` URIs (QR codes, inline
images) and files under the application's static folder (stylesheets); every
other URL — http(s), ``file://`` elsewhere, ``ftp:`` … — is refused, so a
value typed by a user can never make the server fetch something.

Templates link static files relative to the static folder, e.g.
``<link rel="stylesheet" href="css/public.css">`` (the base URL is the static
folder), or by the absolute URL ``static_uri(path)`` gives.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template

log = logging.getLogger("app.pdf")

# CJK fonts in order of preference: WenQuanYi Micro Hei is a single small TTC
# and renders several times faster than the Noto CJK collections.
CJK_FONTS = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif'


class FetchRefused(ValueError):
    """A document referenced a URL outside data: and the static folder."""


def _static_root() -> Path:
    return Path(current_app.static_folder).resolve()


def static_uri(path: str) -> str:
    """The file:// URL of a file under the static folder, for templates."""
    return (_static_root() / path).as_uri()


def make_url_fetcher(static_root: Path):
    """A WeasyPrint URL fetcher allowing data: URIs and static files only."""
    import mimetypes

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_root.resolve()

    class SealedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)  # decoded in memory, no I/O
            if scheme == "file" and parts.netloc in ("", "localhost"):
                target = Path(unquote(parts.path)).resolve()
                if target.is_relative_to(root) and target.is_file():
                    mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        target.as_uri(), target.read_bytes(), {"Content-Type": mime}
                    )
            log.warning("PDF rendering refused to fetch %s", url[:200])
            raise FetchRefused(f"refused: {url[:200]}")

    return SealedFetcher(timeout=5, allow_redirects=False)


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Print ``html`` to PDF bytes with the sealed fetcher."""
    from weasyprint import HTML

    root = _static_root()
    document = HTML(
        string=html,
        base_url=base_url or (root.as_uri() + "/"),
        url_fetcher=make_url_fetcher(root),
    )
    return document.write_pdf()


def render_pdf(template_name: str, **context) -> bytes:
    """Render ``template_name`` with ``context`` and print it to PDF bytes."""
    html = render_template(template_name, static_uri=static_uri, cjk_fonts=CJK_FONTS, **context)
    return html_to_pdf(html)


def stored(name: str, render) -> bytes:
    """A PDF kept in storage under ``name`` (``name`` names the version of what it
    shows): read when there, else rendered by ``render()`` and written whole, so each
    version is rendered once for every process and node sharing the store."""
    from app.services import storage

    data = storage.read_named(name)
    if data is None:
        data = render()
        storage.write_named(name, data)
    return data
