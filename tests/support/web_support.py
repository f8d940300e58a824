"""Registers with made-up shifts for the web tests and benchmark: sets built as the handheld builds them (scored
by tobs_core, encoded and decoded by tobs_record) and stored through the register's own ingest."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from tobs.register.ingest import ingest
from tobs.register.keys import enroll_device, ensure_site
from tobs.reports.guidance import load_example
from tobs.reports.quality import LOCAL
from tobs.shared import tobs_core, tobs_record

EXAMPLE_CONFIG = load_example().config_id
PASSWORD = "korrekt-hest-batteri"  # every test account's
CALM = dict(pulse=72, resp=14, temp=368, sys_bp=132, awareness="habitual")  # total 0
RAISED = dict(pulse=92, resp=19, temp=387, sys_bp=147, awareness="pain")  # total 4
HIGH = dict(pulse=134, resp=27, temp=396, sys_bp=68, awareness="voice")  # total 12, three parameters at 3


def observation(device_hex: str, seq: int, patient: int, at: datetime, vitals: dict, *, action: int = 0,
                reason: int = 0, staff: int = 1001, config_id: str = EXAMPLE_CONFIG) -> dict:
    result = tobs_core.score(vitals["pulse"], vitals["resp"], vitals["temp"] / 10, vitals["sys_bp"],
                             vitals["awareness"], "rectal")
    fields = {
        "measured_at": int(at.timestamp()), "clock_valid": True, "boot_count": 1, "ms_since_boot": 1000 * seq,
        "device_id": bytes.fromhex(device_hex), "staff": staff, "patient": patient, "pulse": vitals["pulse"],
        "resp": vitals["resp"], "temp_raw": vitals["temp"], "temp_site": "rectal", "sys_bp": vitals["sys_bp"],
        "awareness": vitals["awareness"], "points": dict(result.points), "total": result.total,
        "core_id": tobs_core.CORE_ID, "config_id": config_id, "action": action, "reason": reason,
    }
    return tobs_record.decode(tobs_record.encode(fields, seq))


def store(register, device_hex: str, site: str, records: list[dict], site_name: str | None = None) -> None:
    ensure_site(register, site, site_name)
    enroll_device(register, device_hex, site)
    ingest(register, device_hex, records, pc_user="test", pc_host="pc", started_at=datetime.now(timezone.utc))


def random_vitals(rng: random.Random) -> dict:
    return dict(pulse=rng.choice((58, 72, 84, 95, 112, 135)), resp=rng.choice((12, 14, 18, 22, 26)),
                temp=rng.choice((362, 368, 374, 383, 392)), sys_bp=rng.choice((75, 95, 118, 132, 150)),
                awareness=rng.choice(("habitual",) * 6 + ("agitated", "voice", "pain")))


def generated_site(device_hex: str, patients: int, sets: int, end: datetime, seed: int = 1,
                   every: timedelta = timedelta(hours=4)) -> list[dict]:
    """sets observation sets round-robin over the patients, one round every `every`, ending at `end`; elevated
    sets mostly get an action, some do not."""
    rng = random.Random(seed)
    rounds = -(-sets // patients)
    start = end - every * rounds
    records = []
    for seq in range(1, sets + 1):
        round_number, patient = divmod(seq - 1, patients)
        at = start + every * round_number + timedelta(minutes=rng.randint(0, 50))
        vitals = random_vitals(rng)
        total = tobs_core.score(vitals["pulse"], vitals["resp"], vitals["temp"] / 10, vitals["sys_bp"],
                                vitals["awareness"]).total
        action = rng.choice((1, 2, 1, 5, 0)) if total >= 2 else rng.choice((0, 5))
        records.append(observation(device_hex, seq, 101 + patient, at, vitals, action=action,
                                   reason=1 if action == 5 and total >= 2 else 0))
    return records


# A site whose documented share rises from 50 % to 100 % half way: Anhøj's rules must see the shift.
SEEDED_DEVICE = "5eed5eed5eed5eed"
FIRST_MONDAY = date(2026, 3, 2)
WEEKS = 20
FIRST, LAST = FIRST_MONDAY, FIRST_MONDAY + timedelta(weeks=WEEKS) - timedelta(days=1)


def seeded_records() -> list[dict]:
    """Each week four raised scores (TOBS 4: escalate, re-measure within 120 minutes) on Wednesday, each followed by
    a calm set; weeks 1-10 document two of the four, weeks 11-20 all four. One follow-up a week comes late."""
    records, seq = [], 0
    for week in range(WEEKS):
        wednesday = FIRST_MONDAY + timedelta(weeks=week, days=2)
        for i in range(4):
            at = datetime.combine(wednesday, time(8 + 2 * i), LOCAL)
            documented = week >= 10 or i < 2
            seq += 1
            records.append(observation(SEEDED_DEVICE, seq, 100 + i, at, RAISED, action=1 if documented else 0))
            seq += 1
            later = timedelta(minutes=200 if i == 3 else 60)
            records.append(observation(SEEDED_DEVICE, seq, 100 + i, at + later, CALM, action=5))
    return records


def login(client, username: str, password: str = PASSWORD):
    """Log a FastAPI test client in through the login form (its CSRF cookie and field included)."""
    page = client.get("/login")
    token = page.cookies.get("tobs_login") or client.cookies.get("tobs_login")
    return client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/"},
                       follow_redirects=False)
