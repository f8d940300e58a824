"""The quality measures per site and per week or month, computed in the database so that a region's register of
millions of sets answers in well under a second; the same function feeds the web page and the static report.

Measures, for the sets measured in each period (local time, Europe/Copenhagen):
- sets: how many observation sets were taken;
- documented: of the elevated sets (the site's guidance says escalate), the share with an action recorded, with the
  set or later as a follow-up;
- minutes_to_next: for elevated sets, the median minutes until the same patient's next set;
- on_time: of the sets whose band asks for a re-measure, the share re-measured within the interval (plus
  ON_TIME_GRACE_MIN); sets whose re-measure is not due yet are left out.
A next set more than LOOK_AHEAD_DAYS later counts as no re-measure. Sets without a known time are not counted."""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, insert, select, text

from tobs.register.db import Register, RegisterUnavailable
from tobs.register.models import FollowUp, Observation, QualityPeriod, SyncLog, UTCDateTime
from tobs.reports.anhoej import RunsAnalysis, runs_analysis
from tobs.reports.guidance import GuidanceBook

LOCAL = ZoneInfo("Europe/Copenhagen")
ON_TIME_GRACE_MIN = 15
LOOK_AHEAD_DAYS = 2
OPEN_FRESH = timedelta(minutes=10)  # how long an open period's figures are shown before they are computed again
SYNC_SETTLED = timedelta(minutes=10)  # far longer than any sync transaction (locks time out after 30 s)
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


def _band_sql(book: GuidanceBook) -> tuple[str, str, dict]:
    """SQL expressions for a set's escalate flag and re-measure minutes under its own configuration."""
    known, (default_flags, default_minutes) = book.rule_strings()
    params: dict = {"esc_default": default_flags, "rem_default": default_minutes}
    escalate, remeasure = [], []
    for i, (cid, (flags, minutes)) in enumerate(known.items()):
        params[f"cid{i}"], params[f"esc{i}"], params[f"rem{i}"] = cid, flags, minutes
        escalate.append(f"WHEN :cid{i} THEN substr(:esc{i}, k + 1, 1)")
        remeasure.append(f"WHEN :cid{i} THEN substr(:rem{i}, 4 * k + 1, 4)")
    escalate_sql = f"CAST(CASE config_id {' '.join(escalate)} ELSE substr(:esc_default, k + 1, 1) END AS INTEGER)"
    remeasure_sql = f"CAST(CASE config_id {' '.join(remeasure)} ELSE substr(:rem_default, 4 * k + 1, 4) END AS INTEGER)"
    return escalate_sql, remeasure_sql, params


def _query(dialect: str, book: GuidanceBook, bounds: Sequence[datetime], median_in_sql: bool):
    escalate, remeasure, params = _band_sql(book)
    period_case = " ".join(f"WHEN measured_at < :b{i + 1} THEN {i}" for i in range(len(bounds) - 1))
    minutes = _minutes_between(dialect, "next_at", "measured_at")
    age = _minutes_between(dialect, ":now", "measured_at")
    median = (
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes) FILTER (WHERE escalate = 1 AND minutes IS NOT NULL)"
        if median_in_sql else "NULL"
    )
    # The window runs over the covering index (site, patient, time, seq) in its own order: no sort, no table reads.
    sql = f"""
    WITH sets AS (
        SELECT o.site_code, o.measured_at, o.config_id,
               -- An action counts whether it was saved with the set or recorded later as a follow-up.
               CASE WHEN o.action <> 0 OR EXISTS (
                   SELECT 1 FROM follow_ups f
                   WHERE f.device_id = o.device_id AND f.observation_seq = o.seq AND f.action <> 0
               ) THEN 1 ELSE 0 END AS acted,
               2 * o.total + CASE WHEN o.pulse_pts = 3 OR o.resp_pts = 3 OR o.temp_pts = 3 OR o.sys_bp_pts = 3
                                       OR o.awareness_pts = 3 THEN 1 ELSE 0 END AS k,
               LEAD(o.measured_at) OVER (PARTITION BY o.site_code, o.patient_number ORDER BY o.measured_at, o.seq)
                   AS next_at
        FROM observations o
        WHERE o.site_code IN :sites AND o.measured_at >= :b0 AND o.measured_at < :ahead
    ),
    judged AS (
        SELECT site_code, acted,
               CASE {period_case} END AS period,
               {escalate} AS escalate,
               {remeasure} AS remeasure,
               CASE WHEN next_at IS NOT NULL AND {minutes} <= {LOOK_AHEAD_DAYS * 1440} THEN {minutes} END
                   AS minutes,
               {age} AS age
        FROM sets
        WHERE measured_at < :b{len(bounds) - 1}
    )
    SELECT site_code, period, COUNT(*) AS sets,
           SUM(escalate) AS elevated,
           SUM(CASE WHEN escalate = 1 AND acted = 1 THEN 1 ELSE 0 END) AS documented,
           {median} AS median_minutes,
           SUM(CASE WHEN remeasure > 0 AND (minutes IS NOT NULL OR age > remeasure + :grace) THEN 1 ELSE 0 END)
               AS due,
           SUM(CASE WHEN remeasure > 0 AND minutes IS NOT NULL AND minutes <= remeasure + :grace THEN 1 ELSE 0 END)
               AS on_time
    FROM judged GROUP BY site_code, period
    """
    minutes_sql = "SELECT site_code, period, minutes FROM judged WHERE escalate = 1 AND minutes IS NOT NULL"
    return sql, minutes_sql, params


def _live(register: Register, sites: Sequence[str], spans: Sequence[Period], now: datetime,
          book: GuidanceBook) -> dict[str, list[PeriodFigures]]:
    """The figures computed from the sets themselves."""
    bounds = [p.start_utc for p in spans] + [spans[-1].end_utc]
    result = {site: [PeriodFigures() for _ in spans] for site in sites}
    if not sites:
        return result
    dialect = register.dialect
    sql, minutes_sql, params = _query(dialect, book, bounds, median_in_sql=dialect == "postgresql")
    stamp = UTCDateTime()
    binds = [bindparam("sites", expanding=True), bindparam("now", type_=stamp),
             bindparam("ahead", type_=stamp)] + [bindparam(f"b{i}", type_=stamp) for i in range(len(bounds))]
    values = dict(params, sites=list(sites), now=now, grace=ON_TIME_GRACE_MIN,
                  ahead=bounds[-1] + timedelta(days=LOOK_AHEAD_DAYS), **{f"b{i}": b for i, b in enumerate(bounds)})
    with register.read() as session:
        if dialect == "postgresql":
            # One big grouped scan: room to sort and group in memory, and no JIT compile for a sub-second query.
            session.execute(text("SET LOCAL work_mem = '64MB'"))
            session.execute(text("SET LOCAL jit = off"))
        for row in session.execute(text(sql).bindparams(*binds), values):
            figures = result[row.site_code][row.period]
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
                result[site][period].minutes_to_next = round(statistics.median(found), 3)
    return result


def is_closed(period: Period, now: datetime) -> bool:
    """No set still to come can change the period: its last set's look-ahead and every re-measure are past."""
    return period.end_utc + timedelta(days=LOOK_AHEAD_DAYS) <= now


def _rules_key(book: GuidanceBook) -> str:
    known, default = book.rule_strings()
    text_form = repr((sorted(known.items()), default, ON_TIME_GRACE_MIN, LOOK_AHEAD_DAYS))
    return hashlib.sha256(text_form.encode()).hexdigest()[:16]


def site_quality(
    register: Register,
    sites: Sequence[str],
    first: date,
    last: date,
    unit: str,
    *,
    now: datetime | None = None,
    book: GuidanceBook | None = None,
    cached: bool = True,
) -> dict[str, SiteQuality]:
    """Each site's figures per period from first to last (local dates), with Anhøj's rules on each measure.

    Figures come from the quality_periods table when nothing synced since could have changed them (an open
    period's only for OPEN_FRESH after they were computed), and are stored there when computed; cached=False
    computes everything from the sets."""
    now = now or datetime.now(timezone.utc)
    book = book or GuidanceBook.load(register)
    spans = periods(first, last, unit)
    sites = list(dict.fromkeys(sites))
    figures: dict[str, list[PeriodFigures | None]] = {site: [None] * len(spans) for site in sites}
    closed = {i for i, p in enumerate(spans) if is_closed(p, now)}
    key = _rules_key(book)
    with register.read() as session:
        # Stored figures name the newest sync they are sure to include. A sync's id is given when it starts and
        # seen when it commits, so a younger one may still be writing: only syncs started SYNC_SETTLED ago count.
        mark = session.scalar(select(func.max(SyncLog.id)).where(
            SyncLog.started_at < datetime.now(timezone.utc) - SYNC_SETTLED)) or 0
    # An open period's figures depend on the moment they are judged: kept and reused only when that is now.
    judged_now = abs(datetime.now(timezone.utc) - now) < timedelta(minutes=1)
    reusable = set(range(len(spans))) if judged_now else closed
    if cached and sites:
        _from_cache(register, sites, unit, spans, reusable, closed, key, figures)
    needed = {site: [i for i, f in enumerate(rows) if f is None] for site, rows in figures.items()}
    needed = {site: wanted for site, wanted in needed.items() if wanted}
    if needed:
        start = min(min(wanted) for wanted in needed.values())
        live = _live(register, list(needed), spans[start:], now, book)
        to_store = []
        for site, wanted in needed.items():
            for i in wanted:
                figures[site][i] = live[site][i - start]
                if i in reusable:
                    to_store.append((site, spans[i], live[site][i - start]))
        if to_store and cached:
            _store(register, unit, key, mark, to_store)
    result = {}
    for site in sites:
        quality = SiteQuality(site, spans, [f if f is not None else PeriodFigures() for f in figures[site]])
        quality.analyses = {m: runs_analysis(quality.series(m)) for m in MEASURES}
        result[site] = quality
    return result


def _from_cache(register: Register, sites: list[str], unit: str, spans: Sequence[Period], reusable: set[int],
                closed: set[int], key: str, figures: dict[str, list[PeriodFigures | None]]) -> None:
    index = {spans[i].start: i for i in reusable}
    fresh_since = datetime.now(timezone.utc) - OPEN_FRESH
    with register.read() as session:
        rows = session.scalars(select(QualityPeriod).where(
            QualityPeriod.site_code.in_(sites), QualityPeriod.unit == unit,
            QualityPeriod.period_start.in_(list(index)), QualityPeriod.rules_key == key)).all()
        if not rows:
            return
        oldest = min(r.through_sync for r in rows)
        # Sets synced since the oldest row was computed: (site, sync, earliest and latest set it brought).
        arrivals = session.execute(
            select(Observation.site_code, Observation.sync_id, func.min(Observation.measured_at),
                   func.max(Observation.measured_at))
            .where(Observation.sync_id > oldest, Observation.site_code.in_(sites))
            .group_by(Observation.site_code, Observation.sync_id)
        ).all()
        # A follow-up changes the period of the set it documents, whenever it arrives.
        arrivals += session.execute(
            select(FollowUp.site_code, FollowUp.sync_id, func.min(Observation.measured_at),
                   func.max(Observation.measured_at))
            .join(Observation, (Observation.device_id == FollowUp.device_id)
                  & (Observation.seq == FollowUp.observation_seq))
            .where(FollowUp.sync_id > oldest, FollowUp.site_code.in_(sites))
            .group_by(FollowUp.site_code, FollowUp.sync_id)
        ).all()
    spans_of_syncs: dict[str, list[tuple[int, datetime, datetime]]] = {}
    for site, sync_id, low, high in arrivals:
        if low is not None:
            spans_of_syncs.setdefault(site, []).append((sync_id, low, high))
    for row in rows:
        period = spans[index[row.period_start]]
        if index[row.period_start] not in closed and row.computed_at < fresh_since:
            continue  # an open period also changes as time makes re-measures due: kept only for OPEN_FRESH
        # A new set at t changes its own period and any whose sets may have t as their next measurement.
        if any(sync_id > row.through_sync and period.end_utc > low - timedelta(days=LOOK_AHEAD_DAYS)
               and period.start_utc <= high for sync_id, low, high in spans_of_syncs.get(row.site_code, [])):
            continue
        figures[row.site_code][index[row.period_start]] = PeriodFigures(
            row.sets, row.elevated, row.documented, row.minutes_to_next, row.remeasure_due, row.on_time)


def _store(register: Register, unit: str, key: str, mark: int, found: list[tuple[str, Period, PeriodFigures]]) -> None:
    now = datetime.now(timezone.utc)
    def work(session) -> None:
        for site, period, _ in found:
            session.execute(delete(QualityPeriod).where(
                QualityPeriod.site_code == site, QualityPeriod.unit == unit,
                QualityPeriod.period_start == period.start))
        session.execute(insert(QualityPeriod), [
            {"site_code": site, "unit": unit, "period_start": period.start, "rules_key": key, "sets": f.sets,
             "elevated": f.elevated, "documented": f.documented, "minutes_to_next": f.minutes_to_next,
             "remeasure_due": f.remeasure_due, "on_time": f.on_time, "through_sync": mark, "computed_at": now}
            for site, period, f in found
        ])

    try:
        register.run_write(work)
    except RegisterUnavailable:
        pass  # the figures are shown all the same; the next view computes and stores them again
