"""Small server-drawn SVG charts: no JavaScript, readable offline and in print."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def bar_chart(
    bars: list[tuple[str, int]], *, title: str, width: int = 560, height: int = 160
) -> SafeString:
    """A labelled vertical bar chart of (label, value) pairs as inline SVG."""
    top = max((v for _, v in bars), default=0) or 1
    pad_bottom, pad_top = 22, 16
    slot = width / max(len(bars), 1)
    bar_w = slot * 0.62
    plot_h = height - pad_bottom - pad_top
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(bars):
        h = plot_h * value / top
        x = i * slot + (slot - bar_w) / 2
        y = pad_top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="2">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
        if value:
            parts.append(
                f'<text class="v" x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" '
                f'text-anchor="middle">{value}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped


def share_bar(
    segments: list[tuple[str, int, str]], *, title: str, width: int = 560, height: int = 28
) -> SafeString:
    """One horizontal bar split into labelled shares, e.g. promises kept / late / broken.

    Each segment is (label, count, css class); empty segments are left out."""
    total = sum(count for _, count, _ in segments)
    parts = [
        f'<svg class="chart share" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    x = 0.0
    for label, count, css in segments:
        if not count or not total:
            continue
        w = width * count / total
        parts.append(
            f'<rect class="{escape(css)}" x="{x:.1f}" y="0" width="{w:.1f}" height="{height}">'
            f"<title>{escape(label)}: {count}</title></rect>"
        )
        if w > 40:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{height / 2 + 4:.1f}" text-anchor="middle">'
                f"{escape(label)} {count}</text>"
            )
        x += w
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def trend_chart(
    points: list[tuple[str, float]],
    *,
    title: str,
    top: float | None = None,
    width: int = 560,
    height: int = 120,
) -> SafeString:
    """A line over time of (label, value) points, oldest first, with the first and last
    labels under it and the latest value at its end."""
    pad_left, pad_right, pad_top, pad_bottom = 6, 44, 10, 20
    values = [v for _, v in points]
    high = max([*values, top or 0.0]) or 1.0
    low = min([*values, 0.0])
    span = (high - low) or 1.0
    plot_w = width - pad_left - pad_right
    plot_h = height - pad_top - pad_bottom
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return pad_left + i * step, pad_top + plot_h * (1 - (v - low) / span)

    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{pad_left}" y1="{pad_top + plot_h}" '
        f'x2="{pad_left + plot_w}" y2="{pad_top + plot_h}"/>',
    ]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        base = pad_top + plot_h
        parts.append(
            f'<polygon class="area" points="{coords[0][0]:.1f},{base} {path} '
            f'{coords[-1][0]:.1f},{base}"/>'
        )
        parts.append(f'<polyline class="line" points="{path}"/>')
        for (x, y), (label, v) in zip(coords, points, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
                f"<title>{escape(label)}: {v:.1f}</title></circle>"
            )
        last_x, last_y = coords[-1]
        parts.append(
            f'<text class="v" x="{last_x + 6:.1f}" y="{last_y + 4:.1f}">{values[-1]:.1f}</text>'
        )
        parts.append(
            f'<text x="{pad_left}" y="{height - 5}">{escape(points[0][0])}</text>'
            f'<text x="{pad_left + plot_w:.1f}" y="{height - 5}" text-anchor="end">'
            f"{escape(points[-1][0])}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def _fit(label: str, room: float) -> str:
    """The label cut to the room under its bars (about 8 units a Latin letter, twice
    that for a Chinese character), ending with "…" when cut."""
    budget = max(3, int(room / 8) - 1)
    used, kept = 0, list[str]()
    for char in label:
        used += 2 if ord(char) >= 0x2E80 else 1
        if used > budget:
            return "".join(kept).rstrip() + "…"
        kept.append(char)
    return label


def grouped_bar_chart(
    groups: list[tuple[str, int, int]],
    *,
    series: tuple[str, str],
    title: str,
    width: int = 560,
    height: int = 180,
) -> SafeString:
    """Two bars side by side per label, e.g. deals won and lost by reason: each group
    is (label, first value, second value); the bars take the classes "a" and "b" and a
    legend names the two series."""
    top = max((max(a, b) for _, a, b in groups), default=0) or 1
    pad_bottom, pad_top = 34, 22
    slot = width / max(len(groups), 1)
    bar_w = slot * 0.34
    plot_h = height - pad_bottom - pad_top
    parts = [
        f'<svg class="chart grouped" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for n, (name, css) in enumerate(zip(series, ("a", "b"), strict=True)):
        key_x = 4 + n * 110
        parts.append(
            f'<rect class="{css}" x="{key_x}" y="4" width="10" height="10" rx="2"></rect>'
            f'<text x="{key_x + 14}" y="13">{escape(name)}</text>'
        )
    for i, (label, first, second) in enumerate(groups):
        left = i * slot + (slot - 2 * bar_w) / 2
        for j, (value, css) in enumerate(zip((first, second), ("a", "b"), strict=True)):
            h = plot_h * value / top
            x = left + j * bar_w
            y = pad_top + plot_h - h
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" rx="2"><title>{escape(label)}, {escape(series[j])}: '
                f"{value}</title></rect>"
            )
            if value:
                parts.append(
                    f'<text class="v" x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" '
                    f'text-anchor="middle">{value}</text>'
                )
        short = _fit(label, slot)
        parts.append(
            f'<text x="{i * slot + slot / 2:.1f}" y="{height - 18}" text-anchor="middle">'
            f"{escape(short)}<title>{escape(label)}</title></text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped
