"""The quality measures per site and per week or month, computed in the database so that a region's register of
millions of sets answers in well under a second; the same function feeds the web page and the static report.

Measures, for the sets measured in each period (local time, Europe/Copenhagen):
- sets: how many observation sets were taken;
- documented: of the elevated sets (the site's guidance band says escalate), the share with an action recorded;
- minutes_to_next: for elevated sets, the median minutes until the same patient's next set;
- on_time: of the sets whose band asks for a re-measure, the share re-measured within the interval (plus
  ON_TIME_GRACE_MIN); sets whose re-measure is not due yet are left out.
A next set more than LOOK_AHEAD_DAYS later counts as no re-measure. Sets without a known time are not counted."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text

from tobs.register.db import Register
from tobs.register.models import UTCDateTime
from tobs.reports.anhoej import RunsAnalysis, runs_analysis
from tobs.reports.guidance import GuidanceBook

LOCAL = ZoneInfo("Europe/Copenhagen")
ON_TIME_GRACE_MIN = 15
LOOK_AHEAD_DAYS = 7
MEASURES = ("sets", "documented", "minutes_to_next", "on_time")
UNITS = ("week", "month")


@dataclass(frozen=True)
class Period:
    start: date  # local date of the first day
    end: date  # local date after the last day
    unit: str

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time(), LOCAL).astimezone(timezone.utc)

    @property
    def end_utc(self) -> datetime:
        return datetime.combine(self.end, time(), LOCAL).astimezone(timezone.utc)

    def label(self, lang: str) -> str:
        if self.unit == "week":
            year, week, _ = self.start.isocalendar()
            return ("uge %d %d" if lang == "da" else "week %d %d") % (week, year)
        return "%s %d" % (MONTHS[lang][self.start.month - 1], self.start.year)

    def short_label(self, lang: str) -> str:
        if self.unit == "week":
            return "%s%d" % ("u" if lang == "da" else "w", self.start.isocalendar()[1])
        return "%s %02d" % (MONTHS[lang][self.start.month - 1], self.start.year % 100)


MONTHS = {
    "da": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def periods(first: date, last: date, unit: str) -> list[Period]:
    """The weeks (Monday to Sunday) or calendar months that hold the days first..last."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}")
    if last < first:
        raise ValueError("the period ends before it starts")
    found = []
    if unit == "week":
        start = first - timedelta(days=first.weekday())
        while start <= last:
            found.append(Period(start, start + timedelta(days=7), unit))
            start += timedelta(days=7)
    else:
        start = first.replace(day=1)
        while start <= last:
            following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            found.append(Period(start, following, unit))
            start = following
    return found


def default_range(today: date, unit: str) -> tuple[date, date]:
    """What the quality page shows unless asked: the last 26 weeks or the last 12 months, up to today."""
    if unit == "week":
        return today - timedelta(weeks=25, days=today.weekday()), today
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today


@dataclass
class PeriodFigures:
    sets: int = 0
    elevated: int = 0
    documented: int = 0
    minutes_to_next: float | None = None
    remeasure_due: int = 0
    on_time: int = 0

    def value(self, measure: str) -> float | None:
        """The figure plotted for a measure; None when the period has nothing to measure."""
        if measure == "sets":
            return float(self.sets)
        if measure == "documented":
            return None if not self.elevated else round(100 * self.documented / self.elevated, 1)
        if measure == "minutes_to_next":
            return None if self.minutes_to_next is None else round(self.minutes_to_next, 1)
        if measure == "on_time":
            return None if not self.remeasure_due else round(100 * self.on_time / self.remeasure_due, 1)
        raise ValueError(measure)


@dataclass
class SiteQuality:
    site: str
    periods: list[Period]
    figures: list[PeriodFigures]
    analyses: dict[str, RunsAnalysis] = field(default_factory=dict)

    def series(self, measure: str) -> list[float | None]:
        return [f.value(measure) for f in self.figures]


def _minutes_between(dialect: str, later: str, earlier: str) -> str:
    if dialect == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 60.0)"
    # Whole seconds: exact (julianday's floating days are not), and the handhelds record whole seconds anyway.
    return f"((CAST(strftime('%s', {later}) AS INTEGER) - CAST(strftime('%s', {earlier}) AS INTEGER)) / 60.0)"


def _rules_sql(book: GuidanceBook) -> tuple[str, dict]:
    rows, params = [], {}
    for i, (cid, total, any_three, escalate, remeasure) in enumerate(book.rules()):
        rows.append(f"(:rc{i}, {total}, {any_three}, {escalate}, {remeasure})")
        params[f"rc{i}"] = cid
    return ", ".join(rows), params


def _query(dialect: str, book: GuidanceBook, bounds: Sequence[datetime], median_in_sql: bool):
    rules, params = _rules_sql(book)
    period_case = " ".join(f"WHEN measured_at < :b{i + 1} THEN {i}" for i in range(len(bounds) - 1))
    minutes = _minutes_between(dialect, "next_at", "measured_at")
    age = _minutes_between(dialect, ":now", "measured_at")
    median = (
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes) FILTER (WHERE escalate = 1 AND minutes IS NOT NULL)"
        if median_in_sql else "NULL"
    )
    sql = f"""
    WITH rules(config_id, total, any_three, escalate, remeasure) AS (VALUES {rules}),
    sets AS (
        SELECT o.site_code, o.measured_at, o.total, o.action, o.config_id,
               CASE WHEN o.pulse_pts = 3 OR o.resp_pts = 3 OR o.temp_pts = 3 OR o.sys_bp_pts = 3
                         OR o.awareness_pts = 3 THEN 1 ELSE 0 END AS any_three,
               LEAD(o.measured_at) OVER (PARTITION BY o.site_code, o.patient_number ORDER BY o.measured_at, o.seq)
                   AS next_at
        FROM observations o
        WHERE o.site_code IN :sites AND o.measured_at >= :b0 AND o.measured_at < :ahead
    ),
    judged AS (
        SELECT s.site_code, s.measured_at, s.action,
               CASE {period_case} END AS period,
               COALESCE(r.escalate, d.escalate) AS escalate,
               COALESCE(r.remeasure, d.remeasure) AS remeasure,
               CASE WHEN s.next_at IS NOT NULL AND {minutes} <= {LOOK_AHEAD_DAYS * 1440} THEN {minutes} END
                   AS minutes,
               {age} AS age
        FROM sets s
        LEFT JOIN rules r ON r.config_id = s.config_id AND r.total = s.total AND r.any_three = s.any_three
        JOIN rules d ON d.config_id = '' AND d.total = s.total AND d.any_three = s.any_three
        WHERE s.measured_at < :b{len(bounds) - 1}
    )
    SELECT site_code, period, COUNT(*) AS sets,
           SUM(escalate) AS elevated,
           SUM(CASE WHEN escalate = 1 AND action <> 0 THEN 1 ELSE 0 END) AS documented,
           {median} AS median_minutes,
           SUM(CASE WHEN remeasure > 0 AND (minutes IS NOT NULL OR age > remeasure + :grace) THEN 1 ELSE 0 END)
               AS due,
           SUM(CASE WHEN remeasure > 0 AND minutes IS NOT NULL AND minutes <= remeasure + :grace THEN 1 ELSE 0 END)
               AS on_time
    FROM judged GROUP BY site_code, period
    """
    minutes_sql = "SELECT site_code, period, minutes FROM judged WHERE escalate = 1 AND minutes IS NOT NULL"
    return sql, minutes_sql, params


def site_quality(
    register: Register,
    sites: Sequence[str],
    first: date,
    last: date,
    unit: str,
    *,
    now: datetime | None = None,
    book: GuidanceBook | None = None,
) -> dict[str, SiteQuality]:
    """Each site's figures per period from first to last (local dates), with Anhøj's rules on each measure."""
    now = now or datetime.now(timezone.utc)
    book = book or GuidanceBook.load(register)
    spans = periods(first, last, unit)
    bounds = [p.start_utc for p in spans] + [spans[-1].end_utc]
    result = {site: SiteQuality(site, spans, [PeriodFigures() for _ in spans]) for site in sites}
    if sites:
        dialect = register.dialect
        sql, minutes_sql, params = _query(dialect, book, bounds, median_in_sql=dialect == "postgresql")
        stamp = UTCDateTime()
        binds = [bindparam("sites", expanding=True), bindparam("now", type_=stamp),
                 bindparam("ahead", type_=stamp)] + [bindparam(f"b{i}", type_=stamp) for i in range(len(bounds))]
        values = dict(params, sites=list(sites), now=now, grace=ON_TIME_GRACE_MIN,
                      ahead=bounds[-1] + timedelta(days=LOOK_AHEAD_DAYS), **{f"b{i}": b for i, b in enumerate(bounds)})
        with register.read() as session:
            for row in session.execute(text(sql).bindparams(*binds), values):
                figures = result[row.site_code].figures[row.period]
                figures.sets, figures.elevated, figures.documented = row.sets, row.elevated or 0, row.documented or 0
                figures.remeasure_due, figures.on_time = row.due or 0, row.on_time or 0
                if row.median_minutes is not None:
                    figures.minutes_to_next = round(float(row.median_minutes), 3)
            if dialect != "postgresql":
                gaps: dict[tuple[str, int], list[float]] = {}
                with_cte = sql[: sql.index("SELECT site_code, period, COUNT(*)")]
                for row in session.execute(text(with_cte + minutes_sql).bindparams(*binds), values):
                    gaps.setdefault((row.site_code, row.period), []).append(float(row.minutes))
                for (site, period), found in gaps.items():
                    result[site].figures[period].minutes_to_next = round(statistics.median(found), 3)
    for quality in result.values():
        quality.analyses = {m: runs_analysis(quality.series(m)) for m in MEASURES}
    return result
