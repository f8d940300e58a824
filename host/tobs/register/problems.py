"""What in the register needs someone: records it refused (quarantined with their reason), records that conflict with
one it holds, numbers missing from a handheld's store (possible loss), and stores that were reset (a wiped flash) with
the records of the old store that never arrived. Nothing here is ever deleted: a problem stays listed until someone
has looked at the rows it names (the register keeps them all)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tobs.register.db import Register
from tobs.register.models import Conflict, Device, FollowUp, Observation, RejectedRecord, StoreSighting, SyncLog

QUARANTINED = "quarantined"
CONFLICT = "conflict"
GAP = "gap"
STORE_RESET = "store_reset"
KINDS = (QUARANTINED, CONFLICT, GAP, STORE_RESET)


@dataclass(frozen=True)
class Problem:
    kind: str
    site: str | None
    device_id: str | None
    store_epoch: int | None
    first_seq: int | None
    last_seq: int | None
    count: int
    reason: str  # one English sentence
    found_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items()}


def _seqs_text(first: int, last: int) -> str:
    return f"record {first}" if first == last else f"records {first}–{last}"


def record_sighting(register: Register, device_id: str, hello: dict, pc_host: str) -> None:
    """Keep what the handheld's HELLO says about its store, before anything is pulled: if the sync then fails, the
    register still knows how far that store had got."""
    now = datetime.now(timezone.utc)

    def work(session: Session) -> None:
        session.add(StoreSighting(
            device_id=device_id, store_epoch=hello.get("store_epoch", 0), next_seq=hello["next_seq"],
            synced_to=hello.get("synced_to"), pending=hello["pending"], seen_at=now, pc_host=pc_host[:255],
        ))

    register.run_write(work)


def _ranges(held: Sequence[int], upper: int) -> list[tuple[int, int]]:
    """The runs of numbers 1..upper not in the sorted `held`."""
    missing: list[tuple[int, int]] = []
    expected = 1
    for seq in held:
        if seq > upper:
            break
        if seq > expected:
            missing.append((expected, seq - 1))
        expected = max(expected, seq + 1)
    if expected <= upper:
        missing.append((expected, upper))
    return missing


@dataclass
class _Store:
    epoch: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    newest_made: int = 0  # next_seq - 1 at its latest HELLO
    synced_to: int = 0  # the newest number the handheld had been told the register holds


def _stores(session: Session, device_id: str) -> list[_Store]:
    """The device's stores, oldest first: from its HELLOs, and (for syncs from before sightings were kept) its
    sync log and records."""
    stores: dict[int, _Store] = {}

    def store(epoch: int) -> _Store:
        return stores.setdefault(epoch, _Store(epoch))

    query = select(
        StoreSighting.store_epoch, func.min(StoreSighting.seen_at), func.max(StoreSighting.seen_at),
        func.max(StoreSighting.next_seq), func.max(StoreSighting.synced_to),
    ).where(StoreSighting.device_id == device_id).group_by(StoreSighting.store_epoch)
    for epoch, first, last, next_seq, synced_to in session.execute(query):
        s = store(epoch)
        s.first_seen, s.last_seen = first, last
        s.newest_made, s.synced_to = next_seq - 1, synced_to or 0
    query = select(SyncLog.store_epoch, func.min(SyncLog.started_at), func.max(SyncLog.started_at)).where(
        SyncLog.device_id == device_id
    ).group_by(SyncLog.store_epoch)
    for epoch, first, last in session.execute(query):
        s = store(epoch)
        s.first_seen = min(d for d in (s.first_seen, first) if d is not None)
        s.last_seen = max(d for d in (s.last_seen, last) if d is not None)
    far_past = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(stores.values(), key=lambda s: (s.first_seen or far_past, s.epoch))


def _held(session: Session, device_id: str, epoch: int) -> list[int]:
    """Every number of the store the register holds in any form: stored, conflicting or quarantined."""
    held: set[int] = set()
    for table in (Observation, FollowUp, Conflict, RejectedRecord):
        query = select(table.seq).where(table.device_id == device_id, table.store_epoch == epoch)
        held.update(seq for seq in session.scalars(query) if seq is not None)
    return sorted(held)


def store_problems(session: Session, device_id: str, site: str | None) -> list[Problem]:
    """Gaps in every store of the device, and each reset with what of the old store never arrived."""
    found: list[Problem] = []
    stores = _stores(session, device_id)
    for index, s in enumerate(stores):
        held = _held(session, device_id, s.epoch)
        newest_held = held[-1] if held else 0
        current = index == len(stores) - 1
        # The store still in use keeps what it has not been told the register holds: only a number at or below what
        # it was acknowledged (or below one the register holds) is missing. An old store is gone: whatever it had
        # made and the register does not hold never arrived.
        upper = max(s.synced_to, newest_held) if current else max(s.newest_made, newest_held)
        missing = _ranges(held, upper)
        never_arrived: tuple[int, int] | None = None
        if not current and missing and missing[-1][1] == upper and missing[-1][0] > newest_held:
            never_arrived = missing.pop()
        for first, last in missing:
            found.append(Problem(
                GAP, site, device_id, s.epoch, first, last, last - first + 1,
                f"{_seqs_text(first, last).capitalize()} of handheld {device_id} (store {s.epoch:08x}) are not in the "
                "register: possibly lost (a save cut short by a power cut also leaves its number unused).",
                s.last_seen,
            ))
        if not current:
            following = stores[index + 1]
            when = following.first_seen.strftime("%Y-%m-%d %H:%M UTC") if following.first_seen else "at an unknown time"
            if never_arrived:
                first, last = never_arrived
                lost = f"{_seqs_text(first, last)} of the previous store never arrived"
                count = last - first + 1
            else:
                first = last = None
                lost = "every record the previous store had made is in the register"
                count = 0
            found.append(Problem(
                STORE_RESET, site, device_id, s.epoch, first, last, count,
                f"The store on handheld {device_id} was reset (a new store {following.epoch:08x} was first seen "
                f"{when}): {lost}.",
                following.first_seen,
            ))
    return found


def problems(register: Register, *, sites: Iterable[str] | None = None, kinds: Iterable[str] = KINDS) -> list[Problem]:
    """Every problem of the devices of `sites` (all sites when None), by device."""
    kinds = set(kinds)
    sites = None if sites is None else list(sites)
    found: list[Problem] = []
    with register.read() as session:
        query = select(Device.device_id, Device.site_code).order_by(Device.site_code, Device.device_id)
        if sites is not None:
            query = query.where(Device.site_code.in_(sites))
        devices = list(session.execute(query))
        for device_id, site in devices:
            if QUARANTINED in kinds:
                rows = session.scalars(
                    select(RejectedRecord).where(RejectedRecord.device_id == device_id).order_by(RejectedRecord.id)
                )
                found.extend(
                    Problem(QUARANTINED, site, device_id, r.store_epoch, r.seq, r.seq, 1,
                            f"Quarantined: {r.reason}.", r.received_at)
                    for r in rows
                )
            if CONFLICT in kinds:
                rows = session.scalars(select(Conflict).where(Conflict.device_id == device_id).order_by(Conflict.id))
                found.extend(
                    Problem(CONFLICT, site, device_id, c.store_epoch, c.seq, c.seq, 1,
                            f"Record {c.seq} of handheld {device_id} arrived with other content than the one the "
                            "register holds under that number: kept aside, the stored one unchanged.", c.received_at)
                    for c in rows
                )
            if kinds & {GAP, STORE_RESET}:
                found.extend(p for p in store_problems(session, device_id, site) if p.kind in kinds)
    return found
