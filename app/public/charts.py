"""Charts drawn on the server as inline SVG: they need no script, work offline,
and print. Colours come from classes in public.css; every text is escaped."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

_FONT = 14


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(label)}" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(label)}</title>'
    )
    # Every text in head and body went through html.escape(); the rest are numbers
    # and fixed markup, so marking the whole SVG safe adds nothing unescaped.
    # nosemgrep: markup-non-literal
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704  # nosec B704


def hbar_chart(items: list[tuple[str, int, str]], *, label: str, width: int = 440) -> Markup:
    """Horizontal bars: (label, value, css class) per row."""
    row, label_w, pad = 30, 140, 8
    top = 6
    height = top + row * max(len(items), 1) + 6
    peak = max((v for _, v, _ in items), default=0) or 1
    bar_w = width - label_w - 40
    body = []
    for i, (text, value, cls) in enumerate(items):
        y = top + i * row
        w = 0 if value == 0 else max(3, round(bar_w * value / peak))
        body.append(
            f'<text x="{label_w - pad}" y="{y + row / 2 + 4}" text-anchor="end" '
            f'font-size="{_FONT}" class="chart-label">{escape(text)}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="{row - 10}" '
            f'class="chart-track" rx="3"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w}" height="{row - 10}" '
            f'class="chart-bar {escape(cls)}" rx="3"><title>{escape(text)}：{value}</title></rect>'
            f'<text x="{label_w + w + 6}" y="{y + row / 2 + 4}" font-size="{_FONT}" '
            f'class="chart-value">{value}</text>'
        )
    return _svg(width, height, label, body)


def stacked_chart(
    rows: list[tuple[str, dict[str, int]]],
    series: list[tuple[str, str, str]],
    *,
    label: str,
    width: int = 440,
) -> Markup:
    """Horizontal stacked bars with a legend: rows of (label, {series: n});
    series as (key, label, css class)."""
    row, label_w, pad = 30, 110, 8
    # The legend wraps onto as many lines as the labels need.
    legend, x, line = [], 0, 0
    for _key, text, cls in series:
        w = 16 + 13 * len(text) + 14
        if x and x + w > width:
            x, line = 0, line + 1
        y = 6 + line * 20
        legend.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" class="{escape(cls)}" rx="2"/>'
            f'<text x="{x + 16}" y="{y + 11}" font-size="13" class="chart-label">{escape(text)}</text>'
        )
        x += w
    legend_h = 10 + (line + 1) * 20
    height = legend_h + row * max(len(rows), 1) + 6
    peak = max((sum(v.values()) for _, v in rows), default=0) or 1
    bar_w = width - label_w - 36
    body = list(legend)
    for i, (text, values) in enumerate(rows):
        y = legend_h + i * row
        body.append(
            f'<text x="{label_w - pad}" y="{y + row / 2 + 4}" text-anchor="end" '
            f'font-size="{_FONT}" class="chart-label">{escape(text)}</text>'
        )
        x0 = label_w
        for key, s_label, cls in series:
            n = values.get(key, 0)
            if not n:
                continue
            w = bar_w * n / peak
            body.append(
                f'<rect x="{x0:.1f}" y="{y + 5}" width="{w:.1f}" height="{row - 10}" '
                f'class="{escape(cls)}"><title>{escape(text)} · {escape(s_label)}：{n}</title></rect>'
            )
            x0 += w
        total = sum(values.values())
        body.append(
            f'<text x="{x0 + 6:.1f}" y="{y + row / 2 + 4}" font-size="{_FONT}" '
            f'class="chart-value">{total}</text>'
        )
    return _svg(width, height, label, body)


def rate_chart(years: list[dict], targets: list[dict], *, label: str, width: int = 520) -> Markup:
    """Safe-use rate per year as columns, with the plan's targets as lines."""
    left, right, top, bottom = 44, 12, 22, 30
    height = 250
    plot_h = height - top - bottom
    plot_w = width - left - right
    body = []

    def y_of(rate: float) -> float:
        return top + plot_h * (1 - rate)

    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick)
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="13" '
            f'class="chart-axis">{round(tick * 100)}%</text>'
        )
    n = max(len(years), 1)
    slot = plot_w / n
    col = min(56, slot * 0.6)
    for i, yr in enumerate(years):
        cx = left + slot * i + slot / 2
        rate = yr["rate"]
        cls = "chart-rate-none"
        if rate is not None:
            cls = "chart-rate-ok" if yr["meets_target"] else "chart-rate-low"
            if yr.get("partial"):
                cls += " chart-partial"
            y = y_of(rate)
            body.append(
                f'<rect x="{cx - col / 2:.1f}" y="{y:.1f}" width="{col:.1f}" '
                f'height="{top + plot_h - y:.1f}" class="{cls}" rx="2">'
                f"<title>{yr['year']} 年：{rate * 100:.1f}%（{yr['safe']}/{yr['listed']}）</title>"
                f"</rect>"
                f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle" font-size="14" '
                f'class="chart-value">{rate * 100:.0f}%</text>'
            )
        suffix = "*" if yr.get("partial") else ""
        body.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
            f'font-size="13" class="chart-axis">{yr["year"]}{suffix}</text>'
        )
    for i, t in enumerate(targets):
        y = y_of(t["rate"])
        # Targets lie close together (90 %, 95 %): labels alternate ends and sides.
        x, anchor, dy = (left + 4, "start", 14) if i % 2 == 0 else (width - right - 2, "end", -5)
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="chart-target chart-target-{t["year"]}"/>'
            f'<text x="{x}" y="{y + dy:.1f}" text-anchor="{anchor}" font-size="13" '
            f'class="chart-target-label chart-target-label-{t["year"]}">'
            f"{t['year']} 年目标 {t['rate'] * 100:.0f}%</text>"
        )
    return _svg(width, height, label, body)
