"""Nothing the register refused or missed disappears from view: quarantined and conflicting records, gaps in a store's
numbers, and a reset store (a wiped flash) with the records of the old one that never arrived, listed by
`tobs problems` (and --json)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from register_support import DEVICE_A, SITE, batch, record
from typer.testing import CliRunner

from tobs.cli import app
from tobs.register import problems
from tobs.register.db import open_register
from tobs.register.ingest import ingest
from tobs.register.keys import enroll_device

runner = CliRunner()
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)


def sync_in(register, records, epoch=0, next_seq=None, synced_to=None, pending=0):
    """What a sync writes: its HELLO's account of the store, then the records."""
    if next_seq is not None:
        problems.record_sighting(register, DEVICE_A, {"store_epoch": epoch, "next_seq": next_seq,
                                                      "synced_to": synced_to, "pending": pending}, "pc1")
    return ingest(register, DEVICE_A, records, pc_user="nurse", pc_host="pc1", started_at=NOW, store_epoch=epoch)


@pytest.fixture
def register(register_url):
    opened = open_register(register_url, announce=None)
    enroll_device(opened, DEVICE_A, SITE)
    yield opened
    opened.close()


def listed(register_url, *args):
    result = runner.invoke(app, ["problems", "--db", register_url, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_clean_register_has_no_problems(register, register_url):
    sync_in(register, batch(DEVICE_A, range(1, 6)), next_seq=6, synced_to=0, pending=5)
    assert listed(register_url) == []
    text = runner.invoke(app, ["problems", "--db", register_url])
    assert text.exit_code == 0 and "No problems" in text.output


def test_a_number_acknowledged_but_not_held_is_a_gap(register, register_url):
    sync_in(register, batch(DEVICE_A, [1, 2, 5, 6]), next_seq=7, synced_to=0, pending=4)
    # The next HELLO says the handheld was told 1-6 are in the register: 3 and 4 are not.
    sync_in(register, [], next_seq=7, synced_to=6, pending=0)
    gaps = listed(register_url, "--kind", "gap")
    assert [(g["first_seq"], g["last_seq"], g["count"]) for g in gaps] == [(3, 4, 2)]
    assert "Records 3–4 of handheld" in gaps[0]["reason"] and "possibly lost" in gaps[0]["reason"]


def test_records_still_on_the_handheld_are_not_a_gap(register, register_url):
    # The HELLO said 1-9 exist and nothing is synced; the pull was cut after 1-4: 5-9 are still on the handheld.
    sync_in(register, batch(DEVICE_A, range(1, 5)), next_seq=10, synced_to=0, pending=9)
    assert listed(register_url, "--kind", "gap") == []


def test_a_reset_store_is_a_new_store_not_conflicts_and_says_what_never_arrived(register, register_url):
    sync_in(register, batch(DEVICE_A, range(1, 4)), next_seq=4, synced_to=0, pending=3)
    # 4 and 5 were saved and seen by a sync that was cut before it pulled them; then the flash was wiped.
    problems.record_sighting(register, DEVICE_A, {"store_epoch": 0, "next_seq": 6, "synced_to": 3, "pending": 2}, "pc1")
    outcome = sync_in(register, [record(1, patient=77), record(2, patient=78)], epoch=0x1234ABCD, next_seq=3,
                      synced_to=0, pending=2)
    assert (outcome.new, outcome.conflicts) == (2, 0)
    found = listed(register_url)
    assert [p["kind"] for p in found] == ["store_reset"]
    reset = found[0]
    assert (reset["store_epoch"], reset["first_seq"], reset["last_seq"], reset["count"]) == (0, 4, 5, 2)
    assert f"The store on handheld {DEVICE_A} was reset" in reset["reason"]
    assert "records 4–5 of the previous store never arrived" in reset["reason"]


def test_quarantined_and_conflicting_records_are_listed_with_their_reason(register, register_url):
    sync_in(register, batch(DEVICE_A, [1, 2]), next_seq=3, synced_to=0, pending=2)
    refused = dict(record(3), rejected_reason="authentication tag does not verify", raw=b"\x00" * 75)
    outcome = sync_in(register, [record(2, patient=99), refused], next_seq=4, synced_to=2, pending=2)
    assert (outcome.conflicts, outcome.rejected) == (1, 1)
    found = listed(register_url)
    kinds = sorted(p["kind"] for p in found)
    assert kinds == ["conflict", "quarantined"], found
    quarantined = next(p for p in found if p["kind"] == "quarantined")
    assert quarantined["first_seq"] == 3 and "authentication tag does not verify" in quarantined["reason"]
    conflict = next(p for p in found if p["kind"] == "conflict")
    assert conflict["first_seq"] == 2 and "kept aside" in conflict["reason"]
    # Held as quarantined or conflicting, a number is not also a gap.
    assert listed(register_url, "--kind", "gap") == []


def test_an_unknown_kind_is_one_sentence(register_url):
    result = runner.invoke(app, ["problems", "--db", register_url, "--kind", "lost"])
    assert result.exit_code != 0 and "--kind" in result.output and "Traceback" not in result.output


def test_the_export_carries_the_problems_on_request(register, register_url, tmp_path):
    sync_in(register, batch(DEVICE_A, [1, 2, 5]), next_seq=6, synced_to=0, pending=3)
    sync_in(register, [], next_seq=6, synced_to=5, pending=0)
    out, extra = tmp_path / "obs.csv", tmp_path / "problems.csv"
    result = runner.invoke(app, ["export", "--db", register_url, "--csv", str(out), "--problems", str(extra)])
    assert result.exit_code == 0, result.output
    lines = extra.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "kind,site,device_id,store_epoch,first_seq,last_seq,count,found_at,reason"
    assert len(lines) == 2 and lines[1].startswith(f"gap,{SITE},{DEVICE_A},0,3,4,2,")
