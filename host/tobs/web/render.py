"""Turning the register's figures into pages: the Jinja2 templates, and the quality page's content (run charts,
signals, the figures table) that the web page and the static report both show, so their numbers cannot differ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from tobs.register.db import Register
from tobs.reports import charts
from tobs.reports.anhoej import RunsAnalysis
from tobs.reports.guidance import GuidanceBook
from tobs.reports.quality import LOOK_AHEAD_DAYS, MEASURES, ON_TIME_GRACE_MIN, SiteQuality, site_quality
from tobs.web import text

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(t=text.t, local=text.local, since=text.since, number=text.number)


def page(name: str, **context) -> str:
    return environment.get_template(name).render(**context)


def signal_text(analysis: RunsAnalysis, lang: str) -> tuple[str, bool]:
    """The sentence under a run chart, and whether it reports a signal."""
    if analysis.longest_run_max is None or analysis.crossings_min is None:
        return text.t(lang, "all_on_median" if analysis.points else "too_few"), False
    parts = []
    if analysis.long_run_signal:
        parts.append(text.t(lang, "signal_long_run", analysis.longest_run, analysis.longest_run_max))
    if analysis.crossings_signal:
        parts.append(text.t(lang, "signal_crossings", analysis.crossings, analysis.crossings_min))
    if parts:
        return " ".join(parts), True
    return text.t(lang, "no_signal", analysis.longest_run, analysis.longest_run_max, analysis.crossings,
                  analysis.crossings_min), False


@dataclass(frozen=True)
class MeasureView:
    measure: str
    title: str
    svg: str
    signal: bool
    verdict: str
    median: str


@dataclass(frozen=True)
class QualityView:
    site: str
    site_name: str
    unit: str
    first: date
    last: date
    quality: SiteQuality
    measures: list[MeasureView]
    rows: list[dict]  # the figures per period, as shown in the table
    definitions: str


def quality_view(register: Register, site: str, site_name: str, first: date, last: date, unit: str, lang: str, *,
                 now: datetime | None = None, book: GuidanceBook | None = None) -> QualityView:
    quality = site_quality(register, [site], first, last, unit, now=now, book=book)[site]
    labels = [p.short_label(lang) for p in quality.periods]
    measures = []
    for measure in MEASURES:
        analysis = quality.analyses[measure]
        verdict, signal = signal_text(analysis, lang)
        measures.append(MeasureView(
            measure=measure, title=text.t(lang, "m_" + measure),
            svg=charts.run_chart(labels, quality.series(measure), analysis, prefix=f"q-{measure}",
                                 unit=text.t(lang, "u_" + measure)),
            signal=signal, verdict=verdict, median=text.number(analysis.centre, lang),
        ))
    rows = []
    for period, figures in zip(quality.periods, quality.figures, strict=True):
        rows.append({
            "period": period.label(lang), "sets": figures.sets, "elevated": figures.elevated,
            "documented": figures.documented, "documented_pct": text.number(figures.value("documented"), lang),
            "minutes": text.number(figures.value("minutes_to_next"), lang), "due": figures.remeasure_due,
            "on_time": figures.on_time, "on_time_pct": text.number(figures.value("on_time"), lang),
        })
    return QualityView(site, site_name, unit, first, last, quality, measures, rows,
                       text.t(lang, "def_elevated", ON_TIME_GRACE_MIN, LOOK_AHEAD_DAYS))


@dataclass(frozen=True)
class SmallMultiple:
    site: str
    site_name: str
    svg: str
    signal: bool
    verdict: str


def small_multiples(register: Register, sites: dict[str, str], measure: str, first: date, last: date, unit: str,
                    lang: str, *, now: datetime | None = None) -> list[SmallMultiple]:
    found = site_quality(register, list(sites), first, last, unit, now=now)
    result = []
    for index, (site, name) in enumerate(sites.items()):
        quality = found[site]
        analysis = quality.analyses[measure]
        verdict, signal = signal_text(analysis, lang)
        labels = [p.short_label(lang) for p in quality.periods]
        result.append(SmallMultiple(site, name, charts.run_chart(
            labels, quality.series(measure), analysis, prefix=f"s{index}", title=name, small=True), signal, verdict))
    return result
