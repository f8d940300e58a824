"""The quality measures on a seeded site: known figures per week, a shift that Anhøj's rules must flag, the same
figures on SQLite and PostgreSQL, and `tobs report` giving the web page's numbers, byte for byte the same twice."""

import re
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner
from web_support import FIRST, LAST, PASSWORD, SEEDED_DEVICE, WEEKS, login, seeded_records, store

from tobs.cli import app as cli_app
from tobs.register.db import open_register
from tobs.reports import quality as quality_module
from tobs.reports.quality import site_quality
from tobs.shared import tobs_core, tobs_record
from tobs.web import accounts
from tobs.web.report import write_report


def _fill(register):
    store(register, SEEDED_DEVICE, "seeded", seeded_records(), "Seeded Plejecenter")
    accounts.add_user(register, "leader", PASSWORD, "leader", "seeded")


@pytest.fixture
def seeded(tmp_path):
    register = open_register(f"sqlite:///{tmp_path / 'seeded.sqlite3'}", announce=None)
    _fill(register)
    yield register
    register.close()


def test_known_figures_per_week_and_a_signal_for_the_shift(seeded):
    quality = site_quality(seeded, ["seeded"], FIRST, LAST, "week")["seeded"]
    assert len(quality.periods) == WEEKS
    first = quality.figures[0]
    assert (first.sets, first.elevated, first.documented) == (8, 4, 2)
    assert (first.remeasure_due, first.on_time, first.minutes_to_next) == (4, 3, 60.0)
    assert quality.series("documented") == [50.0] * 10 + [100.0] * 10
    assert quality.series("on_time") == [75.0] * 20
    documented = quality.analyses["documented"]
    assert documented.long_run_signal and documented.crossings_signal
    assert documented.long_run_points == tuple(range(20))
    # A constant series sits on its median: no useful points, no signal.
    assert not quality.analyses["on_time"].signal and quality.analyses["on_time"].useful == 0


def test_monthly_periods_add_up_to_the_weeks(seeded):
    weeks = site_quality(seeded, ["seeded"], FIRST, LAST, "week")["seeded"]
    months = site_quality(seeded, ["seeded"], FIRST, LAST, "month")["seeded"]
    assert [p.start.month for p in months.periods] == [3, 4, 5, 6, 7]
    assert sum(f.sets for f in months.figures) == sum(f.sets for f in weeks.figures) == 8 * WEEKS


def test_sqlite_and_postgresql_give_the_same_figures(seeded, postgres_server):
    pg = open_register(postgres_server.database(), announce=None)
    try:
        _fill(pg)
        for unit in ("week", "month"):
            a = site_quality(seeded, ["seeded"], FIRST, LAST, unit)["seeded"]
            b = site_quality(pg, ["seeded"], FIRST, LAST, unit)["seeded"]
            assert a.figures == b.figures
            assert a.analyses == b.analyses
    finally:
        pg.close()


def _body(html: str) -> str:
    return html[html.index('<p class="intro">'):html.index("</main>")]


def test_the_report_has_the_web_pages_numbers_and_the_same_bytes_twice(seeded, tmp_path):
    from fastapi.testclient import TestClient

    from tobs.web.app import create_app

    first = write_report(seeded, "seeded", FIRST, LAST, "week", "da", tmp_path / "one").read_bytes()
    again = write_report(seeded, "seeded", FIRST, LAST, "week", "da", tmp_path / "two").read_bytes()
    assert first == again
    assert (tmp_path / "one" / "documented.svg").read_bytes() == (tmp_path / "two" / "documented.svg").read_bytes()
    with TestClient(create_app(seeded), base_url="http://127.0.0.1") as client:
        login(client, "leader")
        web = client.get(f"/site/seeded/quality?unit=week&first={FIRST}&last={LAST}")
    assert web.status_code == 200
    report = first.decode()
    assert _body(web.text) == _body(report)
    assert re.findall(r"<td>(\d+)</td>", _body(report))[:5] == ["8", "4", "2", "50", "60"]
    assert 'id="q-documented-centre-signal' in report or "centre-signal" in report


def test_report_command(seeded, tmp_path):
    out = tmp_path / "meeting"
    result = CliRunner().invoke(cli_app, ["report", "--site", "seeded", "--from", str(FIRST), "--to", str(LAST),
                                          "--out", str(out), "--db", str(seeded.url.database)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists() and (out / "minutes_to_next.svg").exists()
    bad = CliRunner().invoke(cli_app, ["report", "--site", "seeded", "--from", "2026-13-01", "--to", str(LAST),
                                       "--out", str(out), "--db", str(seeded.url.database)])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_closed_periods_are_kept_and_a_late_sync_recomputes_only_the_periods_it_touches(seeded, monkeypatch):
    from datetime import time as clock
    from datetime import timedelta

    from sqlalchemy import func, select, update
    from web_support import CALM, observation

    from tobs.register.models import QualityPeriod
    from tobs.reports import quality

    monkeypatch.setattr(quality, "SYNC_SETTLED", timedelta(0))  # the test's syncs count as settled at once
    live = site_quality(seeded, ["seeded"], FIRST, LAST, "week", cached=False)["seeded"]
    first = site_quality(seeded, ["seeded"], FIRST, LAST, "week")["seeded"]
    assert first.figures == live.figures and first.analyses == live.analyses
    with seeded.read() as session:
        assert session.scalar(select(func.count()).select_from(QualityPeriod)) == WEEKS
    # Mark two stored weeks so that reading them back is visible.
    for week in (2, 12):
        start = FIRST + timedelta(weeks=week)
        seeded.run_write(lambda s, start=start: s.execute(
            update(QualityPeriod).where(QualityPeriod.period_start == start).values(sets=999)))
    assert [f.sets for f in site_quality(seeded, ["seeded"], FIRST, LAST, "week")["seeded"].figures][2::10] == [
        999, 999]
    # A handheld synced late: one more set in week 3 (index 2). Week 13 (index 12) cannot be affected.
    late = datetime.combine(FIRST + timedelta(weeks=2, days=4), clock(9), quality.LOCAL)
    store(seeded, "1a7e1a7e1a7e1a7e", "seeded", [observation("1a7e1a7e1a7e1a7e", 1, 555, late, CALM, action=5)])
    again = site_quality(seeded, ["seeded"], FIRST, LAST, "week")["seeded"]
    assert again.figures[2].sets == 9 and again.figures[12].sets == 999
    assert again.figures[3] == live.figures[3]


def test_an_open_periods_figures_are_reused_only_while_fresh(filled, monkeypatch):
    from datetime import timedelta

    from sqlalchemy import update

    from tobs.register.models import QualityPeriod
    from tobs.reports import quality

    monkeypatch.setattr(quality, "SYNC_SETTLED", timedelta(0))
    today = datetime.now(quality.LOCAL).date()
    since = today - timedelta(days=1)  # the register's sets are from the last five hours

    def sets():
        return [f.sets for f in site_quality(filled, ["site-a"], since, today, "week")["site-a"].figures]

    assert sum(sets()) == 5
    filled.run_write(lambda s: s.execute(update(QualityPeriod).values(sets=999)))
    assert set(sets()) == {999}
    monkeypatch.setattr(quality, "OPEN_FRESH", timedelta(0))
    assert sum(sets()) == 5


def test_an_action_recorded_later_counts_as_documented_even_for_a_period_already_kept(seeded, monkeypatch):
    # Syncs count as settled at once, so that the closed weeks computed now are kept and reused.
    monkeypatch.setattr(quality_module, "SYNC_SETTLED", timedelta(0))
    before = site_quality(seeded, ["seeded"], FIRST, LAST, "week")["seeded"]
    assert before.figures[0].documented == 2
    # Week 1's third raised set (seq 5) was saved without its action; the nurse records it later.
    undocumented = [r for r in seeded_records() if r["seq"] == 5][0]
    assert undocumented["action"] == 0 and undocumented["total"] == 4
    fields = {
        "measured_at": undocumented["measured_at"] + 600, "clock_valid": True, "boot_count": 1, "ms_since_boot": 1,
        "device_id": bytes.fromhex(SEEDED_DEVICE), "staff": 1001, "patient": undocumented["patient"],
        "follow_up": 5, "core_id": tobs_core.CORE_ID, "config_id": undocumented["config_id"], "action": 1,
        "reason": 0,
    }
    follow_up = tobs_record.decode(tobs_record.encode(fields, 10_000))
    store(seeded, SEEDED_DEVICE, "seeded", [follow_up])
    after = site_quality(seeded, ["seeded"], FIRST, LAST, "week")["seeded"]
    assert after.figures[0].documented == 3 and after.figures[0].elevated == 4
    assert after.figures[1:] == before.figures[1:]
