"""Charts of a ranking as SVG strings, for web pages and PDFs.

matplotlib draws with Liberation Serif (the bundled fonts in static/fonts/, every Vietnamese
letter) and `svg.fonttype = "none"` keeps labels as real text, so a PDF shows them in its own
embedded font and pdftotext reads them back. Figures are built with the object API
(`matplotlib.figure.Figure`), never registered with pyplot, so nothing is left open between
requests; `plt.close` is still called for safety.
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from django.conf import settings  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import engine  # noqa: E402

FONT_FAMILY = "Liberation Serif"
FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "par-index",  # stable ids: the same ranking gives the same SVG
    "font.family": FONT_FAMILY,
    "font.size": 9,
    "axes.unicode_minus": False,
}
BAND_COLOURS = ("#2e7d32", "#1976d2", "#f9a825", "#d84315", "#8e24aa", "#6d4c41")  # best band first
SERIES_COLOURS = ("#1565c0", "#c62828", "#2e7d32", "#ef6c00")
LABEL_CHARS = 42
_registered = False


def _register_fonts() -> None:
    global _registered
    if _registered:
        return
    for path in sorted(FONT_DIR.glob("LiberationSerif-*.ttf")):
        font_manager.fontManager.addfont(str(path))
    _registered = True


def _comma(value: Decimal | float, places: int = 2) -> str:
    return f"{Decimal(value):.{places}f}".replace(".", ",")


def _short(text: str, width: int = LABEL_CHARS) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return buffer.getvalue()


def ranking_bar_svg(ranking, stage: str = "final", *, units: Sequence | None = None) -> str:
    """Horizontal bars of each unit's index at `stage`, best at the top, one line per band threshold.

    `units`: a slice of `ranking.ordered(stage)` to draw (a long ranking is cut into several
    charts that each fit a page); all units by default.
    """
    _register_fonts()
    rows = list(units) if units is not None else ranking.ordered(stage)
    figures = [u.figures(stage) for u in rows]
    values = [float(f[2]) for f in figures]
    bands = engine.parse_bands(ranking.bands)
    colour_of = {band.label: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)] for i, band in enumerate(bands)}
    count = max(len(rows), 1)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(6.5, 0.75 + 0.19 * count))
        ax = fig.add_subplot()
        positions = range(len(rows))
        ax.barh(
            positions,
            values,
            height=0.7,
            color=[colour_of.get(f[4], "#607d8b") for f in figures],
        )
        # Names and values are plain texts rather than tick labels: 800 ticks would cost seconds.
        ax.set_yticks([])
        ax.set_ylim(count - 0.5, -0.5)  # best at the top
        ax.set_xlim(0, 100)
        ax.set_xticks(range(0, 101, 10), [str(t) for t in range(0, 101, 10)])
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel("Chỉ số (%)", fontsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for band in bands:
            if band.threshold is None:
                continue
            ax.axvline(float(band.threshold), color="#455a64", linewidth=0.7, linestyle=(0, (4, 3)))
            ax.text(
                float(band.threshold), -0.55, f"{band.label} {'≥' if band.op == '>=' else '>'} {_comma(band.threshold, 0)}",
                ha="center", va="bottom", fontsize=7, color="#455a64",
            )
        for y, (unit, figure) in enumerate(zip(rows, figures, strict=True)):
            ax.text(-1.5, y, f"{figure[3]}. {_short(unit.unit_name)}", ha="right", va="center", fontsize=8, clip_on=False)
            # the values in a column right of 100, clear of the bars and threshold lines
            ax.text(101.5, y, _comma(figure[2]), ha="left", va="center", fontsize=7.5, clip_on=False)
        fig.subplots_adjust(left=0.4, right=0.92, top=1 - 0.3 / fig.get_figheight(), bottom=0.45 / fig.get_figheight())
        return _svg(fig)


def ranking_distribution_svg(ranking, stage: str = "final", *, top: int = 10) -> str:
    """One chart for a large group, where a bar per unit would fill a page per 45 units and repeat
    the ranking table: above, how many units fall in each index bracket, stacked by band, with the
    band thresholds; below, the `top` best and the `top` last units with their rank and index."""
    _register_fonts()
    rows = ranking.ordered(stage)
    figures = [u.figures(stage) for u in rows]
    values = [float(f[2]) for f in figures]
    bands = engine.parse_bands(ranking.bands)
    colour_of = {band.label: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)] for i, band in enumerate(bands)}
    low = min(5 * math.floor(min(values, default=0) / 5), 95)  # at least one bracket below 100
    width = 2.5 if 100 - low > 20 else 1
    edges = [low + width * i for i in range(int((100 - low) / width) + 1)]
    if edges[-1] < 100:
        edges.append(100.0)
    picked = [*zip(rows[:top], figures[:top], strict=True)]
    last = [*zip(rows[top:], figures[top:], strict=True)][-top:]
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(6.5, 6.4))
        hist, bars = fig.subplots(2, 1, height_ratios=(1, 1.25))

        # units per bracket [edge, next edge) (the last one closed at 100), stacked by band
        by_band: dict[str, list[float]] = {}
        for value, figure in zip(values, figures, strict=True):
            by_band.setdefault(figure[4], []).append(value)
        bottoms = [0] * (len(edges) - 1)
        for label in [*(b.label for b in bands), *(label for label in by_band if label not in colour_of)]:
            counts = [0] * (len(edges) - 1)
            for value in by_band.get(label, ()):
                counts[min(max(int((value - low) // width), 0), len(counts) - 1)] += 1
            if not any(counts):
                continue
            share = _comma(Decimal(100 * sum(counts)) / len(values), 1)
            hist.bar(edges[:-1], counts, width=width, bottom=bottoms, align="edge", color=colour_of.get(label, "#607d8b"),
                     edgecolor="white", linewidth=0.5, label=f"{label or '–'}: {sum(counts)} đơn vị ({share}%)")
            bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
        peak = max(bottoms, default=0) or 1
        hist.set_xlim(low, 100)
        hist.set_ylim(0, peak * 1.15)
        hist.set_ylabel("Số đơn vị", fontsize=8)
        hist.set_xlabel("Chỉ số (%)", fontsize=8)
        hist.tick_params(labelsize=8)
        for band in bands:
            if band.threshold is None or not low < band.threshold < 100:
                continue
            hist.axvline(float(band.threshold), color="#455a64", linewidth=0.7, linestyle=(0, (4, 3)))
            hist.text(
                float(band.threshold), peak * 1.16, f"{band.label} {'≥' if band.op == '>=' else '>'} {_comma(band.threshold, 0)}",
                ha="center", va="bottom", fontsize=7, color="#455a64",
            )
        hist.legend(loc="best", fontsize=7.5, frameon=False)
        hist.set_title(f"Số đơn vị theo khoảng chỉ số (mỗi khoảng {_comma(width, 1 if width % 1 else 0)} điểm)", fontsize=9, pad=12)
        for side in ("top", "right"):
            hist.spines[side].set_visible(False)

        # the best and the last units, a gap between them
        lines = [*picked, None, *last] if last else picked
        count = len(lines)
        for y, line in enumerate(lines):
            if line is None:
                bars.text(-1.5, y, "…", ha="right", va="center", fontsize=8, clip_on=False)
                continue
            unit, figure = line
            bars.barh(y, float(figure[2]), height=0.7, color=colour_of.get(figure[4], "#607d8b"))
            bars.text(-1.5, y, f"{figure[3]}. {_short(unit.unit_name)}", ha="right", va="center", fontsize=7.5, clip_on=False)
            bars.text(101.5, y, _comma(figure[2]), ha="left", va="center", fontsize=7.5, clip_on=False)
        bars.set_yticks([])
        bars.set_ylim(count - 0.5, -0.5)
        bars.set_xlim(0, 100)
        bars.set_xticks(range(0, 101, 10), [str(t) for t in range(0, 101, 10)])
        bars.tick_params(axis="x", labelsize=8)
        bars.set_xlabel("Chỉ số (%)", fontsize=8)
        heading = f"{len(picked)} đơn vị đứng đầu" + (f" và {len(last)} đơn vị cuối bảng" if last else "")
        bars.set_title(heading, fontsize=9)
        for side in ("top", "right"):
            bars.spines[side].set_visible(False)
        fig.subplots_adjust(left=0.4, right=0.92, top=0.95, bottom=0.07, hspace=0.32)
        # the histogram uses the whole width: its axis starts where the names of the bars do
        box = hist.get_position()
        hist.set_position([0.1, box.y0, 0.82, box.height])
        return _svg(fig)


def radar_svg(labels: Sequence[str], series: dict[str, Sequence[Decimal]]) -> str:
    """Radar of per-domain sub-indexes (0–100), one closed line per series, e.g.
    {"Tự chấm": [...], "Sau thẩm định": [...]}."""
    _register_fonts()
    count = len(labels)
    if count < 3:
        raise ValueError("Biểu đồ radar cần ít nhất 3 lĩnh vực.")
    angles = [2 * math.pi * i / count for i in range(count)]
    closed = [*angles, angles[0]]
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(6.5, 5.2))
        ax = fig.add_subplot(projection="polar")
        ax.set_theta_offset(math.pi / 2)  # first domain at the top, then clockwise
        ax.set_theta_direction(-1)
        ax.set_ylim(0, 100)
        ax.set_yticks([20, 40, 60, 80, 100], ["20", "40", "60", "80", "100"], fontsize=7, color="#607d8b")
        ax.set_rlabel_position(180 / count)  # the scale between the first two domains
        ax.set_xticks(angles, ["\n".join(textwrap.wrap(label, 22)) for label in labels], fontsize=8)
        ax.tick_params(axis="x", pad=8)
        for angle, text in zip(angles, ax.get_xticklabels(), strict=True):
            side = math.sin(angle)  # > 0: right half of the circle
            text.set_horizontalalignment("left" if side > 0.1 else "right" if side < -0.1 else "center")
        for i, (name, values) in enumerate(series.items()):
            if len(values) != count:
                raise ValueError(f"Chuỗi {name!r} có {len(values)} giá trị, cần {count}.")
            points = [float(v) for v in values]
            colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            ax.plot(closed, [*points, points[0]], color=colour, linewidth=1.4, label=name)
            ax.fill(closed, [*points, points[0]], color=colour, alpha=0.12)
        ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.12), fontsize=8, frameon=False)
        fig.subplots_adjust(left=0.22, right=0.78, top=0.84, bottom=0.12)
        return _svg(fig)


def svg_data_uri(svg: str) -> str:
    """`data:image/svg+xml;base64,…` for an <img src> in a PDF."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def ranking_bar_page_svg(ranking, stage: str = "final") -> str:
    """The same bar chart for the web page, written as SVG directly: matplotlib costs a few hundred
    milliseconds per request, this costs about a millisecond per hundred units."""
    from html import escape

    from django.utils.translation import gettext as _

    rows = ranking.ordered(stage)
    bands = engine.parse_bands(ranking.bands)
    colour_of = {band.label: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)] for i, band in enumerate(bands)}
    label_w, bar_w, value_w, row_h, top = 260, 520, 60, 18, 22
    height = top + row_h * len(rows) + 28
    x = lambda v: label_w + bar_w * float(v) / 100  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_w + bar_w + value_w} {height}" '
        f'role="img" aria-label="{escape(_("Chỉ số (%)"))}" font-family="Liberation Serif, Times New Roman, serif" font-size="12">'
    ]
    for band in bands:
        if band.threshold is not None:
            parts.append(
                f'<line x1="{x(band.threshold):.1f}" x2="{x(band.threshold):.1f}" y1="{top - 6}" y2="{height - 24}" '
                f'stroke="#455a64" stroke-width="0.8" stroke-dasharray="4 3"/>'
                f'<text x="{x(band.threshold):.1f}" y="{top - 9}" text-anchor="middle" font-size="10" fill="#455a64">'
                f'{escape(band.label)} {"≥" if band.op == ">=" else ">"} {_comma(band.threshold, 0)}</text>'
            )
    for i, unit in enumerate(rows):
        _points, _maximum, index, rank, band = unit.figures(stage)
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{rank}. {escape(_short(unit.unit_name))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{x(index) - label_w:.1f}" height="{row_h - 6}" fill="{colour_of.get(band, "#607d8b")}"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 13}">{_comma(index)}</text>'
        )
    axis_y = height - 24
    parts.append(f'<line x1="{label_w}" x2="{label_w + bar_w}" y1="{axis_y}" y2="{axis_y}" stroke="#333" stroke-width="0.8"/>')
    for tick in range(0, 101, 10):
        parts.append(f'<text x="{x(tick):.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="10">{tick}</text>')
    parts.append("</svg>")
    return "".join(parts)
