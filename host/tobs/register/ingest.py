"""Store one sync's checked records in the register exactly once: new observations and follow-ups (actions recorded
later), records it already has, conflicts and rejected records, with the sync's audit row, in one transaction that
two PCs may run at the same time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tobs.register.checks import Batch, jsonable
from tobs.register.db import Register, insert_ignoring_existing
from tobs.register.keys import UnknownDevice, normalize_device_id
from tobs.register.models import Conflict, Device, FollowUp, Observation, Patient, RejectedRecord, Staff, SyncLog

# Rows per query: keeps SQLite under its bound-parameter limit.
_CHUNK = 500


@dataclass(frozen=True)
class IngestResult:
    new: int
    already_had: int
    conflicts: int
    rejected: int
    flagged: int
    sync_id: int | None = None


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def ingest(
    register: Register,
    device_id_hex: str,
    records: list[dict],
    *,
    pc_user: str,
    pc_host: str,
    started_at: datetime,
    batch: Batch | None = None,
    store_epoch: int | None = None,
) -> IngestResult:
    """Store one sync's records from one device in one transaction, with its audit row.

    Each record (a tobs_record.decode dict, perhaps with repair_times' additions) ends as exactly one of: new;
    already_had (same device and seq, same content); conflict (same device and seq, other content, or the other kind
    of record: kept aside, the stored one untouched); rejected (carries `rejected_reason` from the sync's
    checksum/tag check, or cannot be scored: kept with its raw bytes). A follow-up record is stored as a FollowUp,
    an observation as an Observation; the counts cover both. New observations that disagree with tobs_core's score,
    name an unknown core, or have no known time are stored and counted as flagged. Raises UnknownDevice,
    RegisterUnavailable.

    A sync that has already fed its records to a Batch while they arrived passes it as `batch` (records is then
    not read again): the checking and re-scoring happened while the handheld was still sending. store_epoch names the
    handheld's store the records come from (the batch's, when one is passed)."""
    if started_at.tzinfo is None:
        raise ValueError("started_at must carry a time zone")
    if batch is None:
        batch = Batch(device_id_hex, store_epoch or 0)
        for record in records:
            batch.add(record)
    elif batch.device_id != normalize_device_id(device_id_hex):
        raise ValueError("the batch was made for another device")
    elif store_epoch is not None and batch.store_epoch != store_epoch:
        raise ValueError("the batch was made for another store")
    device_id, store_epoch = batch.device_id, batch.store_epoch
    rejected, by_seq, source = batch.rejected, batch.by_seq, batch.source
    in_batch_duplicates, in_batch_conflicts = batch.in_batch_duplicates, batch.in_batch_conflicts
    rows = [by_seq[seq] for seq in sorted(by_seq)]  # one order for every PC: concurrent writers cannot deadlock
    follow_ups = [batch.follow_ups[seq] for seq in sorted(batch.follow_ups)]

    def work(session: Session) -> IngestResult:
        device = session.get(Device, device_id)
        if device is None:
            raise UnknownDevice(f"Device {device_id} is not enrolled in this register: run `tobs enroll` first.")
        site = device.site_code
        now = datetime.now(timezone.utc)
        log = SyncLog(
            device_id=device_id, store_epoch=store_epoch, pc_user=pc_user[:100], pc_host=pc_host[:255],
            started_at=started_at,
            finished_at=None, new=0, already_had=0, conflicts=0, rejected=0, flagged=0,
        )
        session.add(log)
        session.flush()

        every = rows + follow_ups
        insert_ignoring_existing(
            session,
            Patient,
            [
                {"site_code": site, "number": n, "name": None, "cpr": None, "first_seen": now}
                for n in sorted({r["patient_number"] for r in every})
            ],
        )
        insert_ignoring_existing(
            session,
            Staff,
            [
                {"site_code": site, "number": n, "name": None, "first_seen": now}
                for n in sorted({r["staff_number"] for r in every})
            ],
        )
        # One sequence numbers both kinds on the device: a seq the other table holds already is a conflict, never a
        # second record with that number.
        other_kind = _stored(session, FollowUp, device_id, store_epoch, list(by_seq))
        other_kind.update(_stored(session, Observation, device_id, store_epoch, list(batch.follow_ups)))
        for table, kind in ((Observation, rows), (FollowUp, follow_ups)):
            insert_ignoring_existing(
                session,
                table,
                [dict(r, site_code=site, sync_id=log.id, received_at=now) for r in kind if r["seq"] not in other_kind],
            )
        stored = _stored(session, Observation, device_id, store_epoch, list(by_seq))
        stored.update(_stored(session, FollowUp, device_id, store_epoch, list(batch.follow_ups)))

        new = flagged = 0
        already_had = in_batch_duplicates
        conflicts = list(in_batch_conflicts)
        for row in every:
            if row["seq"] in other_kind:
                conflicts.append((row["seq"], row["content_hash"], source[row["seq"]]))
                continue
            digest, sync_id = stored[row["seq"]]
            if sync_id == log.id:
                new += 1
                flagged += bool(row.get("flags"))
            elif digest == row["content_hash"]:
                already_had += 1
            else:
                conflicts.append((row["seq"], row["content_hash"], source[row["seq"]]))
        insert_ignoring_existing(
            session,
            Conflict,
            [
                {
                    "device_id": device_id, "store_epoch": store_epoch, "seq": seq, "content_hash": digest,
                    "content": jsonable({k: v for k, v in content.items() if k != "raw"}),
                    "sync_id": log.id, "received_at": now,
                }
                for seq, digest, content in conflicts
            ],
        )
        insert_ignoring_existing(
            session,
            RejectedRecord,
            [
                {
                    "device_id": device_id, "store_epoch": store_epoch, "seq": r.seq, "reason": r.reason,
                    "raw": r.raw, "content": r.content,
                    "content_hash": r.content_hash, "sync_id": log.id, "received_at": now,
                }
                for r in rejected
            ],
        )
        log.new, log.already_had, log.conflicts = new, already_had, len(conflicts)
        log.rejected, log.flagged = len(rejected), flagged
        log.finished_at = datetime.now(timezone.utc)
        session.flush()
        return IngestResult(new, already_had, len(conflicts), len(rejected), flagged, log.id)

    return register.run_write(work)


def _stored(session: Session, table: type[Observation] | type[FollowUp], device_id: str, store_epoch: int,
            seqs: list[int]) -> dict[int, tuple[str, int]]:
    """seq -> (content hash, sync id) of those of seqs the table holds for the device's store."""
    found: dict[int, tuple[str, int]] = {}
    for chunk in _chunks(seqs):
        query = select(table.seq, table.content_hash, table.sync_id).where(
            table.device_id == device_id, table.store_epoch == store_epoch, table.seq.in_(chunk)
        )
        for seq, digest, sync_id in session.execute(query):
            found[seq] = (digest, sync_id)
    return found
