"""Each handheld's health as the register sees it: last sync, the sequence numbers it is missing, rejected and
conflicting records, clock problems. One query function, so that new facts about a device (store epochs, resets,
quarantined records) become new fields and the page shows them without another round of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from tobs.register.db import Register
from tobs.register.models import CLOCK_REPAIRED, CLOCK_UNKNOWN, Conflict, Device, Observation, RejectedRecord, SyncLog


@dataclass(frozen=True)
class DeviceHealth:
    device_id: str
    site: str
    enrolled_at: datetime
    last_sync_at: datetime | None
    last_sync_by: str | None
    syncs: int
    sets: int
    first_seq: int | None
    last_seq: int | None
    # Records between the first and the last stored sequence number that never arrived.
    seq_gaps: int
    rejected: int
    conflicts: int
    clock_repaired: int
    clock_unknown: int
    score_mismatch: int
    # Not recorded by this register yet: the page says so instead of showing a zero it does not know.
    pending_reported: int | None = None
    store_resets: int | None = None
    quarantined: int | None = None

    @property
    def needs_attention(self) -> bool:
        return bool(self.seq_gaps or self.rejected or self.conflicts or self.clock_unknown or self.score_mismatch
                    or self.quarantined or self.store_resets)


def device_health(register: Register, sites: Sequence[str] | None = None) -> list[DeviceHealth]:
    """Every enrolled handheld (of the given sites), most recently synced first."""
    sets_query = (
        select(
            Observation.device_id,
            func.count().label("sets"),
            func.min(Observation.seq).label("first_seq"),
            func.max(Observation.seq).label("last_seq"),
            func.sum(case((Observation.clock_quality == CLOCK_REPAIRED, 1), else_=0)).label("repaired"),
            func.sum(case((Observation.clock_quality == CLOCK_UNKNOWN, 1), else_=0)).label("unknown"),
            func.sum(case((Observation.flags.like("%score_mismatch%"), 1), else_=0)).label("mismatch"),
        ).group_by(Observation.device_id)
    )
    if sites is not None:
        # Only the asked sites' sets are read (a region's register holds millions).
        sets_query = sets_query.where(Observation.site_code.in_(list(sites)))
    sets = sets_query.subquery()
    syncs = (
        select(SyncLog.device_id, func.count().label("syncs"), func.max(SyncLog.id).label("last_id"))
        .group_by(SyncLog.device_id).subquery()
    )
    rejected = select(RejectedRecord.device_id, func.count().label("n")).group_by(RejectedRecord.device_id).subquery()
    conflicts = select(Conflict.device_id, func.count().label("n")).group_by(Conflict.device_id).subquery()
    last = SyncLog.__table__.alias("last_sync")
    query = (
        select(Device.device_id, Device.site_code, Device.enrolled_at, sets, syncs.c.syncs,
               last.c.finished_at, last.c.started_at, last.c.pc_user, last.c.pc_host,
               rejected.c.n.label("rejected"), conflicts.c.n.label("conflicts"))
        .outerjoin(sets, sets.c.device_id == Device.device_id)
        .outerjoin(syncs, syncs.c.device_id == Device.device_id)
        .outerjoin(last, last.c.id == syncs.c.last_id)
        .outerjoin(rejected, rejected.c.device_id == Device.device_id)
        .outerjoin(conflicts, conflicts.c.device_id == Device.device_id)
        .order_by(Device.site_code, Device.device_id)
    )
    if sites is not None:
        query = query.where(Device.site_code.in_(list(sites)))
    found = []
    with register.read() as session:
        for row in session.execute(query):
            first, last_seq, count = row.first_seq, row.last_seq, row.sets or 0
            found.append(DeviceHealth(
                device_id=row.device_id, site=row.site_code, enrolled_at=row.enrolled_at,
                last_sync_at=row.finished_at or row.started_at,
                last_sync_by=None if row.pc_user is None else f"{row.pc_user}@{row.pc_host}",
                syncs=row.syncs or 0, sets=count, first_seq=first, last_seq=last_seq,
                seq_gaps=0 if first is None else (last_seq - first + 1) - count,
                rejected=row.rejected or 0, conflicts=row.conflicts or 0, clock_repaired=row.repaired or 0,
                clock_unknown=row.unknown or 0, score_mismatch=row.mismatch or 0,
            ))
    found.sort(key=lambda d: (d.last_sync_at is None, -(d.last_sync_at.timestamp() if d.last_sync_at else 0)))
    return found

