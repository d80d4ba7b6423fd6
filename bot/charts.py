"""The /progress chart: accuracy per domain against the pass line, with each domain's 95%
band, the recall forecast (a diamond) and the readiness band; and the weekly trend.

Rendered with matplotlib's object API on an Agg canvas (no pyplot, no global state), so it
can run in a worker thread: `await asyncio.to_thread(render_progress_chart, report, content)`.
About 800x500 px at 100 dpi, fonts of 10 pt and up: readable in Discord's preview.
"""

from __future__ import annotations

import io
import math

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.projections.polar import PolarAxes
from matplotlib.ticker import MaxNLocator

from bot.content import ContentStore
from bot.services.progress import ProgressReport

WIDTH, HEIGHT, DPI = 8.0, 5.0, 100
ABOVE, BELOW, EMPTY = "#2e7d32", "#d84315", "#b0bec5"
LINE, BARS, TEXT = "#1565c0", "#cfd8dc", "#263238"
BAND, RECALL, READY = "#37474f", "#6a1b9a", "#1565c0"
FONT = 10


def _readiness_row(ax: Axes, report: ProgressReport, row: int) -> None:
    """The readiness point and its band, on a row of its own under the domains."""
    band = report.band
    if band is None:
        return
    ax.axhspan(row - 0.38, row + 0.38, xmin=band.low / 100, xmax=band.high / 100,
               color=READY, alpha=0.18, linewidth=0)  # fmt: skip
    ax.plot([band.low, band.high], [row, row], color=READY, linewidth=2.2)
    if report.readiness is not None:
        ax.plot([report.readiness], [row], marker="o", color=READY, markersize=7)
    verdict = "ready" if band.ready else "not ready yet"
    point = "" if report.readiness is None else f"{report.readiness:.0f}%, "
    ax.text(
        2,
        row + 0.36,
        f"{point}band {band.low:.0f}–{band.high:.0f}%: {verdict}",
        va="center",
        fontsize=FONT - 1,
        color=READY,
    )


def _domains(ax: Axes, report: ProgressReport) -> None:
    stats = list(reversed(report.domains))  # the first domain on top
    values = [d.accuracy or 0.0 for d in stats]
    colours = [
        EMPTY if d.accuracy is None else ABOVE if d.accuracy >= report.pass_line else BELOW
        for d in stats
    ]
    rows = [i + 1 for i in range(len(stats))]  # row 0: readiness
    ax.barh(rows, values, color=colours, height=0.5)
    answered = [(r, d) for r, d in zip(rows, stats, strict=True) if d.accuracy is not None]
    if answered:
        ax.errorbar(
            [d.accuracy or 0.0 for _, d in answered],
            [r for r, _ in answered],
            xerr=[
                [(d.accuracy or 0.0) - d.low for _, d in answered],
                [d.high - (d.accuracy or 0.0) for _, d in answered],
            ],
            fmt="none",
            ecolor=BAND,
            elinewidth=1.4,
            capsize=4,
        )
    if report.forecast is not None:
        shares = [report.forecast.domain(d.id).share or 0.0 for d in stats]
        ax.scatter(shares, rows, marker="D", s=34, color=RECALL, zorder=3, label="recall")
    _readiness_row(ax, report, 0)
    ax.set_ylim(-0.6, len(stats) + 1.0)
    ax.set_yticks([0, *rows], ["Readiness", *(d.short for d in stats)], fontsize=FONT + 1)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100%"], fontsize=FONT)
    ax.axvline(report.pass_line, color=TEXT, linestyle="--", linewidth=1.2)
    ax.text(
        report.pass_line,
        len(stats) + 0.55,
        f" pass {report.pass_line}%",
        fontsize=FONT,
        color=TEXT,
        va="bottom",
    )
    for row, d in zip(rows, stats, strict=True):
        label = "no answers yet" if d.accuracy is None else f"{d.accuracy:.0f}%  ({d.answered})"
        ax.text(2, row + 0.4, label, va="center", ha="left", fontsize=FONT - 1, color=TEXT)
    title = "Accuracy, 95% band"
    if report.forecast is not None:
        title += ", ◆ recall " + ("on exam day" if report.forecast.exam_day else "today")
    ax.set_title(title, fontsize=FONT, loc="left", color=TEXT)
    ax.spines[["top", "right"]].set_visible(False)


def _trend(ax: Axes, report: ProgressReport) -> None:
    points = report.trend
    xs = list(range(len(points)))
    counts = ax.twinx()
    counts.bar(xs, [p.answered for p in points], color=BARS, width=0.6, zorder=1)
    counts.set_ylabel("answered", fontsize=FONT, color="#607d8b")
    counts.tick_params(labelsize=FONT, colors="#607d8b")
    counts.set_ylim(0, max([p.answered for p in points] + [5]) * 1.25)
    counts.yaxis.set_major_locator(MaxNLocator(4, integer=True))
    ax.set_zorder(counts.get_zorder() + 1)  # the line above the bars
    ax.patch.set_visible(False)
    accuracy = [math.nan if p.accuracy is None else p.accuracy for p in points]
    ax.plot(xs, accuracy, color=LINE, marker="o", linewidth=2.2, markersize=6)
    ax.axhline(report.pass_line, color=TEXT, linestyle="--", linewidth=1.2)
    ax.set_ylim(0, 105)
    ax.set_yticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100%"], fontsize=FONT)
    ax.set_xticks(xs, [p.week.rsplit("W", 1)[-1] for p in points], fontsize=FONT)
    ax.set_xlabel("ISO week (Mon–Sun UTC)", fontsize=FONT, color=TEXT)
    ax.set_ylabel("accuracy", fontsize=FONT, color=LINE)
    ax.set_title("Weekly trend", fontsize=FONT + 2, loc="left", color=TEXT)
    ax.spines[["top"]].set_visible(False)
    counts.spines[["top"]].set_visible(False)


def _short_exam(name: str) -> str:
    """The exam name shortened to its initials ("PMLE") when long, so the title fits."""
    words = [w for w in name.split() if w[:1].isupper()]
    initials = "".join(w[0] for w in words if w not in ("Google", "Cloud"))
    return initials if len(name) > 30 and len(initials) >= 2 else name


def render_progress_chart(report: ProgressReport, content: ContentStore) -> bytes:
    """The progress chart as PNG bytes."""
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(1, 2, width_ratios=(1.15, 1), wspace=0.42)
    _domains(fig.add_subplot(grid[0, 0]), report)
    _trend(fig.add_subplot(grid[0, 1]), report)
    ready = "n/a" if report.readiness is None else f"{report.readiness:.0f}%"
    if report.band is not None:
        verdict = "ready" if report.band.ready else "not ready yet"
        ready += f" (band {report.band.low:.0f}–{report.band.high:.0f}%): {verdict}"
    fig.suptitle(
        f"{_short_exam(content.blueprint.exam.name)} readiness {ready}",
        fontsize=FONT + 3,
        color=TEXT,
        x=0.02,
        ha="left",
    )
    fig.subplots_adjust(left=0.14, right=0.92, top=0.85, bottom=0.13)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def render_score_chart(percents: list[float], pass_line: int, title: str) -> bytes:
    """A mock-exam day's score distribution: members per 10-point band, the pass line."""
    fig = Figure(figsize=(WIDTH, 4.2), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    edges = list(range(0, 101, 10))
    bands = [0] * 10
    for p in percents:
        bands[min(int(p // 10), 9)] += 1
    colours = [ABOVE if lo >= pass_line else BELOW for lo in edges[:-1]]
    ax.bar([lo + 5 for lo in edges[:-1]], bands, width=8.6, color=colours)
    ax.axvline(pass_line, color=TEXT, linestyle="--", linewidth=1.4)
    top = max([*bands, 1])
    ax.text(pass_line + 1, top * 1.05, f"pass ≈ {pass_line}%", fontsize=FONT, color=TEXT)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, top * 1.2)
    ax.set_xticks(edges, [f"{e}" for e in edges[:-1]] + ["100%"], fontsize=FONT)
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.tick_params(axis="y", labelsize=FONT)
    ax.set_xlabel("score", fontsize=FONT, color=TEXT)
    ax.set_ylabel("members", fontsize=FONT, color=TEXT)
    ax.set_title(title, fontsize=FONT + 2, loc="left", color=TEXT)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.09, right=0.97, top=0.88, bottom=0.14)
    return _png(fig)


def render_radar_chart(
    labels: list[str], accuracy: list[float | None], counts: list[int], pass_line: int, title: str
) -> bytes:
    """The group's accuracy per section on a radar, with the pass line as a ring."""
    fig = Figure(figsize=(WIDTH, 6.0), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax: PolarAxes = fig.add_subplot(1, 1, 1, projection="polar")  # type: ignore[assignment]
    n = len(labels)
    ax.set_theta_offset(math.pi / 2)  # the first section on top, then clockwise
    ax.set_theta_direction(-1)
    angles = [2 * math.pi * i / n for i in range(n)]
    values = [a if a is not None else 0.0 for a in accuracy]
    closed_angles, closed_values = [*angles, angles[0]], [*values, values[0]]
    ring = [pass_line] * (n + 1)
    ax.plot(closed_angles, ring, color=TEXT, linestyle="--", linewidth=1.2)
    ax.plot(closed_angles, closed_values, color=LINE, linewidth=2.2)
    ax.fill(closed_angles, closed_values, color=LINE, alpha=0.18)
    for angle, value, acc in zip(angles, values, accuracy, strict=True):
        colour = EMPTY if acc is None else ABOVE if acc >= pass_line else BELOW
        ax.plot([angle], [value], marker="o", markersize=8, color=colour)
    ax.set_ylim(0, 100)
    ax.set_yticks([25, 50, 75, 100], ["25", "50", "75", "100%"], fontsize=FONT - 1, color="#607d8b")
    ticks = [
        f"{label}\n{'–' if acc is None else f'{acc:.0f}%'} ({count})"
        for label, acc, count in zip(labels, accuracy, counts, strict=True)
    ]
    ax.set_xticks(angles, ticks, fontsize=FONT)
    ax.tick_params(axis="x", pad=14)
    fig.suptitle(title, fontsize=FONT + 2, color=TEXT, x=0.02, ha="left")
    fig.text(0.02, 0.02, f"dashed ring: pass ≈ {pass_line}%", fontsize=FONT, color=TEXT)
    fig.subplots_adjust(left=0.2, right=0.8, top=0.82, bottom=0.12)
    return _png(fig)
