"""Shift-end sync: pull the handheld's unsynced records into the register exactly once.

Order matters for "never lost, never twice": records are pulled and checked, written in one database
transaction, and only after the commit is the device told (with an authenticated ACK) that it may mark them
synced. A cut anywhere leaves the records on the device; the next sync sends them again and the register
recognises them by (device, sequence number)."""

from __future__ import annotations

import getpass
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tobs.device.link import Link, LinkError
from tobs.register import checks, clock, keys
from tobs.register import db as register_db
from tobs.register import ingest as register_ingest
from tobs.register import problems as register_problems
from tobs.shared import tobs_protocol, tobs_record

PULL_MAX = 1_000_000


@dataclass
class SyncResult:
    device_id: str
    pulled: int = 0
    new: int = 0
    already_had: int = 0
    conflicts: int = 0
    rejected: int = 0
    flagged: int = 0
    acknowledged_to: int | None = None
    clock_set: bool = False
    seconds: float = 0.0
    store_epoch: int = 0
    rejected_reasons: list[str] = field(default_factory=list)
    # The handheld's store problems after this sync: gaps, and a reset of its store (English sentences).
    store_problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def check_record(raw: bytes, key: bytes, store_epoch: int = 0) -> dict:
    """The decoded record, or one carrying `rejected_reason` (and its raw bytes) when it cannot be trusted."""
    try:
        record = tobs_record.decode(raw)
    except ValueError as e:
        return {"rejected_reason": f"checksum: {e}", "raw": raw}
    signed = bytes(tobs_record.signed_part(raw))
    if tobs_protocol.record_tag(key, signed, store_epoch) != bytes(record["tag"]):
        record["rejected_reason"] = "authentication tag does not verify"
        record["raw"] = raw
    record["signed"] = signed  # what the device stored, for the register's duplicate check
    return record


def pull(link: Link, key: bytes, progress=None, arrived=None, store_epoch: int = 0) -> tuple[list[dict], int | None]:
    """Every unsynced record from the device, checked; and the last sequence number it sent.

    arrived(record) is called for each record as it comes in, so the PC's share of the work overlaps the
    handheld's sending."""
    link.send("PULL", 0, PULL_MAX)
    records: list[dict] = []
    size = tobs_record.RECORD_SIZE
    while True:
        frame = link.read_frame()
        if frame.kind == "R":
            if len(frame.payload) % size:
                raise LinkError("A records frame from the handheld had a partial record; nothing was acknowledged.")
            for i in range(0, len(frame.payload), size):
                record = check_record(frame.payload[i : i + size], key, store_epoch)
                records.append(record)
                if arrived:
                    arrived(record)
            if progress:
                progress(len(records))
        elif frame.kind == "E":
            end = frame.json()
            if end["count"] != len(records):
                raise LinkError("The handheld sent fewer records than it announced; nothing was acknowledged.")
            if end.get("store_epoch", 0) != store_epoch:
                raise LinkError("The handheld's store changed during the sync; nothing was acknowledged.")
            return records, end.get("last_seq")
        else:
            raise LinkError(f"Unexpected '{frame.kind}' frame during the pull; nothing was acknowledged.")


def sync_port(
    port: str,
    db_url: str | None,
    progress=None,
    set_clock: bool = True,
    lock_timeout: float | None = None,
    timeout: float = 5.0,
) -> SyncResult:
    """Open the register, then the handheld on `port`, and sync. The register comes first: if it is unavailable
    the handheld is not touched and keeps everything. timeout: how long the handheld may stay silent before the
    cable counts as pulled."""
    options = {} if lock_timeout is None else {"timeout": lock_timeout}
    register = register_db.open_register(db_url, announce=None, **options)
    try:
        with Link(port, timeout=timeout) as link:
            return sync(link, register, progress=progress, set_clock=set_clock)
    finally:
        register.close()


def sync(link: Link, register: register_db.Register, progress=None, set_clock: bool = True) -> SyncResult:
    """Pull, check and store the handheld's unsynced records in one transaction, then ACK them and set its clock.
    progress(records so far) is called as frames arrive."""
    started = time.monotonic()
    hello = link.request("HELLO", expect="H").json()
    if hello.get("proto") != tobs_protocol.PROTOCOL:
        raise LinkError(
            f"The handheld speaks link protocol {hello.get('proto')}, this program {tobs_protocol.PROTOCOL}."
        )
    device_id = hello["device_id"]
    key = keys.device_key(register, device_id)
    if key is None:
        raise LinkError(f"Handheld {device_id} is not enrolled in this register: run `tobs enroll --site SITE`.")
    # Firmware from before store epochs has one store, epoch 0, and says nothing of it.
    epoch = hello.get("store_epoch", 0)
    if not isinstance(epoch, int) or isinstance(epoch, bool) or not 0 <= epoch <= 0xFFFFFFFF:
        raise LinkError("The handheld's HELLO named an impossible store; nothing was pulled.")
    pc_host = socket.gethostname()
    register_problems.record_sighting(register, keys.normalize_device_id(device_id), hello, pc_host)
    result = SyncResult(device_id=device_id, store_epoch=epoch)
    host_now = time.time()
    batch = checks.Batch(device_id, epoch)

    def arrived(record: dict) -> None:
        # Place its time and check and re-score it now, while the handheld is still sending.
        clock.repair_times(
            [record], hello["now"], hello["boot_count"], hello["ms_since_boot"], int(host_now)
        )
        batch.add(record)

    records, last_seq = pull(link, key, progress, arrived, store_epoch=epoch)
    result.pulled = len(records)
    good = [r for r in records if "rejected_reason" not in r]
    if records and not good:
        raise LinkError(
            "No record from this handheld verifies with the register's key: it may have been enrolled in another "
            "register. Nothing was acknowledged."
        )
    outcome = register_ingest.ingest(
        register,
        device_id,
        records,
        pc_user=getpass.getuser(),
        pc_host=pc_host,
        started_at=datetime.now(timezone.utc),
        batch=batch,
    )
    result.new, result.already_had = outcome.new, outcome.already_had
    result.conflicts, result.rejected, result.flagged = outcome.conflicts, outcome.rejected, outcome.flagged
    result.rejected_reasons = sorted({r["rejected_reason"] for r in records if "rejected_reason" in r})
    # The transaction has committed: now, and only now, may the device forget these records.
    if last_seq is not None:
        tag = tobs_protocol.ack_tag(key, tobs_protocol.from_hex(device_id), last_seq, epoch)
        link.request("ACK", last_seq, tobs_protocol.to_hex(tag), expect="A")
        result.acknowledged_to = last_seq
    with register.read() as session:
        found = register_problems.store_problems(session, batch.device_id, None)
    result.store_problems = [p.reason for p in found]
    if set_clock:
        link.request("TIME", int(time.time()), expect="T")
        result.clock_set = True
    result.seconds = time.monotonic() - started
    return result
