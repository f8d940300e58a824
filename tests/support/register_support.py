"""Records for the register tests and benchmark, made as the handheld makes them: scored by tobs_core, encoded
and decoded by tobs_record, tagged with the device key as tobs_protocol does."""

from __future__ import annotations

from datetime import datetime, timezone

import tobs_core
import tobs_protocol
import tobs_record

DEVICE_A = "e6614103e7452d2f"
DEVICE_B = "e66141040b1c2a31"
SITE = "randers-nord"
T0 = 1_795_000_000  # 2026-11-18 11:06:40 UTC

_PULSES = (35, 45, 62, 78, 95, 115, 140)
_RESPS = (7, 10, 14, 18, 22, 30)
_TEMPS = (330, 352, 366, 371, 384, 394, 405)
_SYS_BPS = (65, 75, 90, 120, 150, 210)
_SITES = ("rectal", "oral", "axillary")


def fields(i: int, device_hex: str = DEVICE_A, *, patients: int = 25, clock_valid: bool = True,
           boot_count: int = 3, ms_since_boot: int | None = None) -> dict:
    """A valid, correctly scored observation; i picks the values, so the same i gives the same record."""
    temp_site = _SITES[i % 3]
    temp_raw = _TEMPS[i % len(_TEMPS)]
    values = dict(pulse=_PULSES[i % len(_PULSES)], resp=_RESPS[i % len(_RESPS)], sys_bp=_SYS_BPS[i % len(_SYS_BPS)],
                  awareness=tobs_core.AWARENESS[i % len(tobs_core.AWARENESS)][0])
    try:
        result = tobs_core.score(temp=temp_raw / 10, temp_site=temp_site, **values)
    except tobs_core.RectalRequired:
        temp_site = "rectal"
        result = tobs_core.score(temp=temp_raw / 10, temp_site=temp_site, **values)
    return {
        "measured_at": T0 + 60 * i, "clock_valid": clock_valid, "boot_count": boot_count,
        "ms_since_boot": 1000 * i if ms_since_boot is None else ms_since_boot, "device_id": bytes.fromhex(device_hex),
        "staff": 100 + i % 4, "patient": 1 + i % patients, "temp_raw": temp_raw, "temp_site": temp_site,
        "points": dict(result.points), "total": result.total, "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee",
        "action": i % 3, "reason": 0, **values,
    }


def encoded(f: dict, seq: int, key: bytes | None = None) -> bytes:
    raw = tobs_record.encode(f, seq)
    if key is not None:
        raw = tobs_record.with_tag(raw, tobs_protocol.record_tag(key, tobs_record.signed_part(raw)))
    return raw


def record(seq: int, device_hex: str = DEVICE_A, key: bytes | None = None, **overrides) -> dict:
    """The decoded dict sync hands to ingest for observation number seq."""
    f = fields(seq, device_hex)
    f.update(overrides)
    return tobs_record.decode(encoded(f, seq, key))


def batch(device_hex: str, seqs, key: bytes | None = None) -> list[dict]:
    return [record(seq, device_hex, key) for seq in seqs]


def ingest_worker(url: str, jobs: list[tuple[str, int, int]], ready, results) -> None:
    """Run in a separate process: make the batches, meet the other workers at the barrier `ready`, then ingest
    each (device, first seq, last seq) and report (device, new, already_had, conflicts, rejected)."""
    from tobs.register.db import open_register
    from tobs.register.ingest import ingest

    register = open_register(url, announce=None)
    try:
        batches = [(device, batch(device, range(first, last + 1))) for device, first, last in jobs]
        ready.wait(60)
        for device, records in batches:
            outcome = ingest(register, device, records, pc_user="worker", pc_host="pc",
                             started_at=datetime.now(timezone.utc))
            results.put((device, outcome.new, outcome.already_had, outcome.conflicts, outcome.rejected))
    except BaseException as e:  # the parent asserts on what arrives: a failure must arrive too
        ready.abort()  # a worker still waiting at the barrier stops waiting
        results.put(("error", repr(e)[:500]))
        raise
    finally:
        register.close()
