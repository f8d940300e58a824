# Web view speed on generated data.
# 1. One site on SQLite with 50 patients and 10,000 sets (stored through the register's ingest): server time of the
#    ward board, a patient page and the site's quality page, as whole requests through the app (login session,
#    audit rows and SVG charts included), median and slowest of --repeat requests.
# 2. A region on PostgreSQL (a throwaway local server started here, or --pg URL of an empty database) with 100 sites
#    and 5,000,000 sets, made inside the server with generate_series: the quality page's queries for one site (26
#    weeks and 12 months) and for all 100 sites at once (the region's sites side by side), each straight from the
#    sets and with the closed periods' figures kept (the steady state), the ward board's and the devices queries.
#   .venv/bin/python bench/web.py [--pg URL] [--sets 5000000] [--sites 100] [--repeat 10] [--json]
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "support")]

from postgres_support import PostgresServer  # noqa: E402
from sqlalchemy import text  # noqa: E402
from web_support import EXAMPLE_CONFIG, generated_site, store  # noqa: E402

from tobs.register.db import open_register  # noqa: E402
from tobs.reports.guidance import GuidanceBook  # noqa: E402
from tobs.reports.quality import LOCAL, default_range, site_quality  # noqa: E402
from tobs.web import accounts, devices, ward  # noqa: E402

PASSWORD = "bench-password-1"


def _times(work, repeat: int) -> dict:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return {"median_ms": round(1000 * statistics.median(seconds), 1), "max_ms": round(1000 * max(seconds), 1)}


def ward_site(folder: Path, repeat: int) -> dict:
    from fastapi.testclient import TestClient

    from tobs.web.app import create_app

    register = open_register(f"sqlite:///{folder / 'ward.sqlite3'}", announce=None)
    now = datetime.now(timezone.utc)
    records = generated_site("be0c0000be0c0001", 50, 10_000, now, every=timedelta(hours=2))
    start = time.perf_counter()
    store(register, "be0c0000be0c0001", "ward", records, "Bench Plejecenter")
    stored_s = time.perf_counter() - start
    accounts.add_user(register, "leader", PASSWORD, "leader", "ward")
    app = create_app(register)
    figures = {"sets": len(records), "patients": 50, "ingest_s": round(stored_s, 2)}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        form = client.get("/login")
        client.post("/login", data={"username": "leader", "password": PASSWORD, "csrf": form.cookies["tobs_login"]})

        def get(path):
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: the benchmark is wrong")

        get("/site/ward/board")  # first request warms templates and fonts
        figures["ward_board"] = _times(lambda: get("/site/ward/board"), repeat)
        figures["ward_board_query"] = _times(lambda: ward.ward_board(register, "ward"), repeat)
        figures["patient_page"] = _times(lambda: get("/site/ward/patient/101"), repeat)
        figures["quality_page"] = _times(lambda: get("/site/ward/quality?unit=week"), max(3, repeat // 3))
    register.close()
    return figures


def generate_region(url: str, sites: int, total_sets: int, patients: int) -> float:
    """sites × patients, one device each, total_sets observation sets made by the server itself."""
    register = open_register(url, announce=None)
    per_site = total_sets // sites
    rounds = -(-per_site // patients)
    end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=4 * rounds)
    began = time.perf_counter()
    with register.engine.begin() as c:
        c.execute(text("SET LOCAL session_replication_role = replica"))  # no FK triggers while bulk loading
        c.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        c.execute(text("""
            INSERT INTO sites (code, name, created_at)
            SELECT 'site-' || lpad(s::text, 3, '0'), 'Plejecenter ' || s, now() FROM generate_series(1, :sites) s
        """), {"sites": sites})
        c.execute(text("""
            INSERT INTO devices (device_id, site_code, key, enrolled_at)
            SELECT lpad(to_hex(s), 16, '0'), 'site-' || lpad(s::text, 3, '0'), decode(repeat('00', 32), 'hex'), now()
            FROM generate_series(1, :sites) s
        """), {"sites": sites})
        c.execute(text("""
            INSERT INTO patients (site_code, number, first_seen)
            SELECT 'site-' || lpad(s::text, 3, '0'), 100 + p, now()
            FROM generate_series(1, :sites) s, generate_series(1, :patients) p
        """), {"sites": sites, "patients": patients})
        c.execute(text("""
            INSERT INTO staff (site_code, number, first_seen)
            SELECT 'site-' || lpad(s::text, 3, '0'), 1001, now() FROM generate_series(1, :sites) s
        """), {"sites": sites})
        c.execute(text("""
            INSERT INTO sync_log (id, device_id, pc_user, pc_host, started_at, finished_at, new, already_had,
                                  conflicts, rejected, flagged)
            SELECT s, lpad(to_hex(s), 16, '0'), 'bench', 'pc', now() - interval '1 day', now() - interval '1 day',
                   0, 0, 0, 0, 0
            FROM generate_series(1, :sites) s
        """), {"sites": sites})
        c.execute(text("SELECT setseed(0.42)"))
        c.execute(text("""
            INSERT INTO observations (device_id, seq, site_code, patient_number, staff_number, measured_at, clock_valid,
                clock_quality, device_measured_at, boot_count, ms_since_boot, pulse, resp, temp_raw, temp_site,
                temp_scored, sys_bp, awareness, pulse_pts, resp_pts, temp_pts, sys_bp_pts, awareness_pts, total,
                device_points, device_total, core_id, config_id, action, reason, tag, flags, content_hash, sync_id,
                received_at)
            SELECT device_id, seq, site_code, patient_number, 1001, measured_at, true, 'device',
                   extract(epoch FROM measured_at)::bigint, 1, seq * 1000, 80, 16, 372, 'rectal', 372, 130, 'habitual',
                   p1, p2, p3, p4, p5, p1 + p2 + p3 + p4 + p5,
                   json_build_object('pulse', p1, 'resp', p2, 'temp', p3, 'sys_bp', p4, 'awareness', p5),
                   p1 + p2 + p3 + p4 + p5, '471dd1d7', :config,
                   CASE WHEN p1 + p2 + p3 + p4 + p5 >= 2 AND random() < 0.8 THEN 1 ELSE 0 END, 0, NULL, '',
                   md5(g::text) || md5(g::text), s, now()
            FROM (
                SELECT g, s, lpad(to_hex(s), 16, '0') AS device_id, 'site-' || lpad(s::text, 3, '0') AS site_code,
                       k + 1 AS seq, 100 + 1 + k % :patients AS patient_number,
                       :start + (k / :patients) * interval '4 hours' + (k % :patients) * interval '3 minutes'
                           + (random() * 40) * interval '1 minute' AS measured_at,
                       (ARRAY[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,2,3])[1 + floor(random() * 20)::int] AS p1,
                       (ARRAY[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,2,3])[1 + floor(random() * 20)::int] AS p2,
                       (ARRAY[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,3])[1 + floor(random() * 20)::int] AS p3,
                       (ARRAY[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,3])[1 + floor(random() * 20)::int] AS p4,
                       (ARRAY[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2])[1 + floor(random() * 20)::int] AS p5
                FROM (SELECT g, 1 + (g - 1) % :sites AS s, (g - 1) / :sites AS k
                      FROM generate_series(1, :total) g) numbered
            ) made
        """), {"sites": sites, "patients": patients, "total": per_site * sites, "start": start,
               "config": EXAMPLE_CONFIG})
    with register.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    register.close()
    return time.perf_counter() - began


def region(url: str, sites: int, total_sets: int, repeat: int) -> dict:
    generated_s = generate_region(url, sites, total_sets, 50)
    register = open_register(url, announce=None)
    book = GuidanceBook.load(register)
    today = datetime.now(LOCAL).date()
    codes = [f"site-{s:03d}" for s in range(1, sites + 1)]
    with register.read() as session:
        count = session.scalar(text("SELECT count(*) FROM observations"))
        span = session.execute(text("SELECT min(measured_at), max(measured_at) FROM observations")).one()
    figures: dict = {"sites": sites, "sets": count, "generate_s": round(generated_s, 1),
                     "days_of_data": (span[1] - span[0]).days}
    for unit in ("week", "month"):
        first, last = default_range(today, unit)
        # Straight from the sets (what a first view costs, and what every view of an open period costs).
        def quality(which, cached=True, first=first, last=last, unit=unit):
            return site_quality(register, which, first, last, unit, book=book, cached=cached)

        figures[f"quality_one_site_{unit}_from_sets"] = _times(lambda: quality(codes[:1], False), repeat)
        figures[f"quality_all_sites_{unit}_from_sets"] = _times(lambda: quality(codes, False), 1)
        quality(codes)  # keeps the periods' figures
        figures[f"quality_one_site_{unit}"] = _times(lambda: quality(codes[:1]), repeat)
        figures[f"quality_all_sites_{unit}"] = _times(lambda: quality(codes), repeat)
    whole = (span[0].astimezone(LOCAL).date(), today)
    figures["quality_one_site_all_history"] = _times(
        lambda: site_quality(register, codes[:1], whole[0], whole[1], "month", book=book), repeat)
    figures["ward_board_query"] = _times(lambda: ward.ward_board(register, codes[0], book=book), repeat)
    figures["devices_one_site"] = _times(lambda: devices.device_health(register, codes[:1]), repeat)
    figures["devices_all_sites"] = _times(lambda: devices.device_health(register), max(2, repeat // 4))
    register.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", help="an empty PostgreSQL database instead of a throwaway server")
    parser.add_argument("--sets", type=int, default=5_000_000, help="sets in the region")
    parser.add_argument("--sites", type=int, default=100, help="sites in the region")
    parser.add_argument("--repeat", type=int, default=10, help="requests or queries per figure")
    parser.add_argument("--skip-region", action="store_true", help="only the SQLite site")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    results: dict = {"measured_on": date.today().isoformat()}
    with tempfile.TemporaryDirectory(prefix="tobs-bench-web-") as folder:
        results["site_sqlite"] = ward_site(Path(folder), args.repeat)
    if not args.skip_region:
        server = None
        try:
            if args.pg:
                url = args.pg
            else:
                server = PostgresServer()
                server.start()
                url = server.database()
            results["region_postgresql"] = region(url, args.sites, args.sets, args.repeat)
        finally:
            if server is not None:
                server.stop()
    if args.json:
        print(json.dumps(results))
        return
    site = results["site_sqlite"]
    print(f"One site on SQLite: {site['patients']} patients, {site['sets']:,} sets (ingest {site['ingest_s']} s)")
    for name in ("ward_board", "ward_board_query", "patient_page", "quality_page"):
        f = site[name]
        print(f"  {name:<32} median {f['median_ms']:8.1f} ms   slowest {f['max_ms']:8.1f} ms")
    if "region_postgresql" in results:
        r = results["region_postgresql"]
        print(f"Region on PostgreSQL: {r['sites']} sites, {r['sets']:,} sets over {r['days_of_data']} days "
              f"(generated and indexed in {r['generate_s']} s)")
        for name, f in r.items():
            if isinstance(f, dict):
                print(f"  {name:<32} median {f['median_ms']:8.1f} ms   slowest {f['max_ms']:8.1f} ms")


if __name__ == "__main__":
    main()
