"""Charts as SVG text, drawn on the server with matplotlib: run charts with Anhøj's signals marked, and a patient's
vital signs over time on the chart's band shading. Output is byte-for-byte the same for the same data (fixed
hash salt, no date, text kept as text), and each SVG's ids carry a prefix so that many can sit in one page."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("svg")
from matplotlib import rcParams  # noqa: E402
from matplotlib.dates import AutoDateLocator, DateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tobs.reports.anhoej import RunsAnalysis  # noqa: E402
from tobs.reports.quality import LOCAL  # noqa: E402

rcParams.update({
    "svg.hashsalt": "tobs",
    "svg.fonttype": "none",  # text stays text: small, searchable, æøå from the page's font
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
})

# Points 0..3 of the chart (and the band colour levels of a site's guidance), readable for colour-blind eyes.
POINT_SHADES = {1: "#fff3bf", 2: "#ffd8a8", 3: "#ffc9c9"}
# A site's guidance bands, least (0) to most (4) urgent: the same colours as the ward board's.
LEVEL_SHADES = {0: "#d3f9d8", 1: "#fff3bf", 2: "#ffe8cc", 3: "#ffd8a8", 4: "#ffc9c9"}
LINE = "#1c4e80"
SIGNAL = "#c92a2a"
_lock = threading.Lock()  # matplotlib's font cache and rcParams are shared: one figure at a time
_ID = re.compile(r'id="([^"]+)"')


def _svg(figure: Figure, prefix: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # no XML prolog or DOCTYPE: the SVG goes inline into HTML
    for name in set(_ID.findall(svg)):
        svg = svg.replace(f'id="{name}"', f'id="{prefix}-{name}"').replace(f"#{name})", f"#{prefix}-{name})")
        svg = svg.replace(f'href="#{name}"', f'href="#{prefix}-{name}"')
    return svg


def run_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    analysis: RunsAnalysis,
    *,
    prefix: str,
    title: str = "",
    unit: str = "",
    small: bool = False,
) -> str:
    """A run chart: the values per period, the median as centre line (red and dashed when Anhøj's rules signal),
    and the points of an unusually long run marked in red."""
    width, height = (3.2, 1.9) if small else (7.6, 2.8)
    with _lock:
        figure = Figure(figsize=(width, height), dpi=96)
        # Fixed margins: matplotlib's automatic layout costs as much again as drawing the chart.
        figure.subplots_adjust(*((0.15, 0.17, 0.97, 0.86) if small else (0.08, 0.11, 0.985, 0.97)))
        axes = figure.add_subplot()
        xs = list(range(len(values)))
        present = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        if present:
            px, py = zip(*present, strict=True)
            axes.plot(px, py, color=LINE, linewidth=1.4, marker="o", markersize=3 if small else 4)
            marked = [(x, values[x]) for x in analysis.long_run_points]
            if marked:
                mx, my = zip(*marked, strict=True)
                axes.plot(mx, my, linestyle="none", marker="o", markersize=5 if small else 7, color=SIGNAL,
                          gid="long-run")
        if analysis.centre is not None:
            axes.axhline(analysis.centre, color=SIGNAL if analysis.signal else "#868e96",
                         linestyle="--" if analysis.signal else "-", linewidth=1.2,
                         gid="centre-signal" if analysis.signal else "centre")
        if title:
            axes.set_title(title, fontsize=9 if small else 11)
        if unit:
            axes.set_ylabel(unit, fontsize=8 if small else 9)
        step = max(1, len(labels) // (5 if small else 13))
        axes.set_xticks(xs[::step], [labels[i] for i in xs[::step]], fontsize=7 if small else 8)
        axes.tick_params(axis="y", labelsize=7 if small else 8)
        axes.set_xlim(-0.5, max(len(values) - 0.5, 0.5))
        if not present:
            axes.text(0.5, 0.5, "–", transform=axes.transAxes, ha="center", va="center", color="#868e96")
        axes.grid(axis="y", color="#e9ecef", linewidth=0.8)
        return _svg(figure, prefix)


def trend_chart(
    times: Sequence[datetime],
    values: Sequence[float],
    *,
    prefix: str,
    title: str,
    unit: str,
    shading: Sequence[tuple[float | None, float | None, str]] = (),
    habitual: float | None = None,
    habitual_label: str = "",
    limits: tuple[float, float] | None = None,
    step: bool = False,
) -> str:
    """One vital sign (or the total) over time on the band shading: (low, high, colour) ranges, None = open end.
    A dashed line shows the patient's habitual level."""
    with _lock:
        figure = Figure(figsize=(7.6, 2.1), dpi=96)
        figure.subplots_adjust(0.085, 0.22, 0.985, 0.88)
        axes = figure.add_subplot()
        if values:
            low, high = min(values), max(values)
            if limits is not None:
                low, high = min(low, limits[0]), max(high, limits[1])
            pad = 0 if limits is not None else max(1.0, (high - low) * 0.15)
            limits = (low - pad, high + pad)
        elif limits is None:
            limits = (0.0, 1.0)
        for band_low, band_high, colour in shading:
            axes.axhspan(limits[0] if band_low is None else band_low, limits[1] if band_high is None else band_high,
                         color=colour, linewidth=0, zorder=0)
        if values:
            axes.plot(times, values, color=LINE, linewidth=1.4, marker="o", markersize=4, zorder=3,
                      drawstyle="steps-post" if step else "default")
        if habitual is not None:
            axes.axhline(habitual, color="#495057", linestyle=(0, (4, 3)), linewidth=1, zorder=2, gid="habitual")
            if habitual_label:
                axes.annotate(habitual_label, xy=(1, habitual), xycoords=("axes fraction", "data"), fontsize=7,
                              ha="right", va="bottom", color="#495057")
        axes.set_ylim(*limits)
        axes.set_title(title, fontsize=10)
        axes.set_ylabel(unit, fontsize=8)
        axes.tick_params(labelsize=8)
        if times:
            # At least half a day across, so that one set or one round does not spread over a meaningless axis.
            first, last = min(times), max(times)
            pad = max(timedelta(hours=1), (last - first) / 20, (timedelta(hours=12) - (last - first)) / 2)
            axes.set_xlim(first - pad, last + pad)
        locator = AutoDateLocator(tz=LOCAL, minticks=3, maxticks=7)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(DateFormatter("%d-%m\n%H:%M", tz=LOCAL))
        axes.grid(axis="y", color="#dee2e6", linewidth=0.6, zorder=1)
        return _svg(figure, prefix)
