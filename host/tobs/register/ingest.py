"""Store synced records in the register exactly once: check them, score their raw values again with tobs_core,
and write them with the sync's audit row in one transaction that two PCs may run at the same time.

Also the device enrolment data the sync needs (sites, devices and their keys) and the repair of timestamps taken
before the device's clock was set."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

import tobs_core
from tobs.register.db import Register, RegisterError
from tobs.register.models import (
    CLOCK_DEVICE,
    CLOCK_QUALITIES,
    CLOCK_REPAIRED,
    CLOCK_UNKNOWN,
    Base,
    Conflict,
    Device,
    Observation,
    Patient,
    RejectedRecord,
    Site,
    Staff,
    SyncLog,
)

FLAG_SCORE_MISMATCH = "score_mismatch"
FLAG_UNKNOWN_CORE = "unknown_core"
FLAG_CLOCK_UNKNOWN = "clock_unknown"
# Chart versions the register can vouch for: a record scored by any other core is stored but flagged.
KNOWN_CORE_IDS = frozenset({tobs_core.CORE_ID})
KEY_SIZE = 32

# The fields of a record as the device stores them (tobs_record.decode keys minus the tag), in hashing order.
DEVICE_FIELDS = (
    "seq", "measured_at", "clock_valid", "boot_count", "ms_since_boot", "device_id", "staff", "patient", "pulse",
    "resp", "temp_raw", "temp_site", "sys_bp", "awareness", "points", "total", "core_id", "config_id", "action",
    "reason",
)
_WHOLE_FIELDS = (
    "seq", "measured_at", "boot_count", "ms_since_boot", "staff", "patient", "pulse", "resp", "temp_raw", "sys_bp",
    "total", "action", "reason",
)
_HEX8 = re.compile(r"[0-9a-f]{8}")
_SITE_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}")
# Rows per statement: keeps SQLite under its bound-parameter limit and PostgreSQL batches a sensible size.
_CHUNK = 500


class UnknownDevice(RegisterError):
    """The device is not enrolled in this register."""


@dataclass(frozen=True)
class IngestResult:
    new: int
    already_had: int
    conflicts: int
    rejected: int
    flagged: int
    sync_id: int | None = None


def normalize_device_id(device_id_hex: str) -> str:
    """16 lower-case hex digits, or RegisterError."""
    text = device_id_hex.strip().lower() if isinstance(device_id_hex, str) else ""
    if not re.fullmatch(r"[0-9a-f]{16}", text):
        raise RegisterError(f"'{device_id_hex}' is not a device id (16 hex digits).")
    return text


def _site_code(code: str) -> str:
    if not isinstance(code, str) or not _SITE_CODE.fullmatch(code):
        raise RegisterError(f"'{code}' is not a site code (1-32 letters, digits, '.', '_' or '-').")
    return code


def _insert_ignoring_existing(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a row another transaction already wrote (or is writing) is left alone."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # The Core table, not the ORM entity: plain executemany, without the ORM's per-row bookkeeping.
    statement = insert(cast(Table, model.__table__)).on_conflict_do_nothing()
    for start in range(0, len(rows), _CHUNK):
        session.execute(statement, list(rows[start : start + _CHUNK]))


def _ensure_site(session: Session, code: str, name: str | None) -> None:
    now = datetime.now(timezone.utc)
    _insert_ignoring_existing(session, Site, [{"code": code, "name": name or code, "created_at": now}])
    if name:
        site = session.get(Site, code)
        if site is not None and site.name != name:
            site.name = name


def ensure_site(register: Register, code: str, name: str | None = None) -> None:
    """Add the site if the register does not have it; a given name replaces the stored one."""
    code = _site_code(code)
    register.run_write(lambda session: _ensure_site(session, code, name))


def enroll_device(register: Register, device_id_hex: str, site_code: str, *, new_key: bool = False) -> bytes:
    """The device's key, making one (32 random bytes) at first enrolment or when new_key is set.

    Enrolling an enrolled device again moves it to site_code and keeps its key, so a repeated `tobs enroll` cannot
    leave the device and the register with different keys."""
    device_id = normalize_device_id(device_id_hex)
    code = _site_code(site_code)

    def work(session: Session) -> bytes:
        _ensure_site(session, code, None)
        now = datetime.now(timezone.utc)
        device = session.get(Device, device_id)
        if device is None:
            key = secrets.token_bytes(KEY_SIZE)
            _insert_ignoring_existing(
                session,
                Device,
                [{"device_id": device_id, "site_code": code, "key": key, "enrolled_at": now}],
            )
            # Another PC may have enrolled it in the meantime: whichever key is stored is the device's key.
            device = session.get(Device, device_id, populate_existing=True)
            if device is None:
                raise RuntimeError("the device row vanished inside its own transaction")
            return bytes(device.key)
        if new_key:
            device.key = secrets.token_bytes(KEY_SIZE)
            device.enrolled_at = now
        if device.site_code != code:
            device.site_code = code
            device.enrolled_at = now
        return bytes(device.key)

    return register.run_write(work)


def device_key(register: Register, device_id_hex: str) -> bytes | None:
    """The enrolled device's key, or None if this register does not know the device."""
    device_id = normalize_device_id(device_id_hex)
    with register.read() as session:
        key = session.scalar(select(Device.key).where(Device.device_id == device_id))
    return None if key is None else bytes(key)


def repair_times(
    records: list[dict],
    device_now_unix: int,
    device_boot_count: int,
    device_ms_since_boot: int,
    host_now_unix: int,
) -> list[dict]:
    """Give each record a trustworthy measured_at where possible, in place (and return the list).

    clock_valid records keep the device's time ("device"). Records from the current boot taken before the clock
    was set are placed by their ms_since_boot against the device's uptime now, on the PC's clock ("repaired").
    Records from earlier boots without a clock cannot be placed ("unknown", flagged). The device's own time is
    kept in "device_measured_at". device_now_unix is what the device's clock says; the PC's clock is the reference
    for repairs, so it only matters in that it was taken at the same moment as device_ms_since_boot."""
    del device_now_unix  # deliberately unused: see the docstring
    for record in records:
        if "rejected_reason" in record or not all(
            k in record for k in ("measured_at", "clock_valid", "boot_count", "ms_since_boot")
        ):
            continue
        record.setdefault("device_measured_at", record["measured_at"])
        if record["clock_valid"]:
            record["clock_quality"] = CLOCK_DEVICE
            record["measured_at"] = record["device_measured_at"]
        elif record["boot_count"] == device_boot_count and 0 <= record["ms_since_boot"] <= device_ms_since_boot:
            age_ms = device_ms_since_boot - record["ms_since_boot"]
            record["measured_at"] = host_now_unix - (age_ms + 500) // 1000
            record["clock_quality"] = CLOCK_REPAIRED
        else:
            # An earlier boot, or an uptime that went backwards (a wrapped counter): no honest time to give.
            record["measured_at"] = record["device_measured_at"]
            record["clock_quality"] = CLOCK_UNKNOWN
    return records


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _hash(value: Any) -> str:
    text = json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash(record: dict) -> str:
    """SHA-256 of what the device stored: the same record re-sent hashes the same whatever the PC added to it
    (repaired time, clock quality) and whatever its tag (a re-enrolled device tags with a new key).

    A record pulled from a handheld carries its stored bytes up to the tag as `signed`: exactly those fields,
    hashed without rebuilding them."""
    signed = record.get("signed")
    if signed is not None:
        return hashlib.sha256(signed).hexdigest()
    values = []
    for name in DEVICE_FIELDS:
        value = record.get("device_measured_at", record.get(name)) if name == "measured_at" else record.get(name)
        if name == "points" and isinstance(value, dict):
            value = [value.get(p) for p in tobs_core.PARAMETERS]  # a fixed order, without a sort per record
        elif isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value).hex()
        values.append(value)
    text = json.dumps(values, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _problem(record: dict, device_id: bytes) -> str | None:
    """Why a decoded record cannot be stored as an observation, or None."""
    for name in DEVICE_FIELDS:
        if name not in record:
            return f"field {name} is missing"
    for name in _WHOLE_FIELDS:
        value = record[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"field {name} is not a whole number"
    if not isinstance(record["clock_valid"], bool):
        return "field clock_valid is not true/false"
    if not isinstance(record["device_id"], (bytes, bytearray)) or bytes(record["device_id"]) != device_id:
        return "the record belongs to another device"
    for name in ("core_id", "config_id"):
        if not isinstance(record[name], str) or not _HEX8.fullmatch(record[name]):
            return f"field {name} is not 8 hex digits"
    points = record["points"]
    if not isinstance(points, dict) or set(points) != set(tobs_core.PARAMETERS):
        return "field points does not name the five parameters"
    if any(not isinstance(points[p], int) or isinstance(points[p], bool) for p in tobs_core.PARAMETERS):
        return "field points holds something other than whole numbers"
    if record.get("clock_quality", CLOCK_DEVICE) not in CLOCK_QUALITIES:
        return "clock quality is not one of %s" % ", ".join(CLOCK_QUALITIES)
    tag = record.get("tag")
    if tag is not None and not isinstance(tag, (bytes, bytearray)):
        return "field tag is not bytes"
    return None


@dataclass
class _Rejected:
    seq: int | None
    reason: str
    raw: bytes | None
    content: dict | None
    content_hash: str


def _rejected(record: dict, reason: str) -> _Rejected:
    raw = record.get("raw")
    raw = bytes(raw) if isinstance(raw, (bytes, bytearray, memoryview)) else None
    content = {k: _jsonable(v) for k, v in record.items() if k not in ("raw", "rejected_reason")} or None
    seq = record.get("seq")
    return _Rejected(
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        reason=reason[:500],
        raw=raw,
        content=content,
        content_hash=hashlib.sha256(raw).hexdigest() if raw is not None else _hash(content),
    )


def _observation(record: dict) -> dict[str, Any] | str:
    """The observation row (without site and sync columns) for a checked record, or why it cannot be scored."""
    try:
        result = tobs_core.score(
            record["pulse"], record["resp"], record["temp_raw"] / 10, record["sys_bp"], record["awareness"],
            record["temp_site"],
        )
    except tobs_core.VitalError as e:
        return f"values cannot be scored: {e.message('en')}"
    flags = []
    if record["points"] != result.points or record["total"] != result.total:
        flags.append(FLAG_SCORE_MISMATCH)
    if record["core_id"] not in KNOWN_CORE_IDS:
        flags.append(FLAG_UNKNOWN_CORE)
    quality = record.get("clock_quality", CLOCK_DEVICE if record["clock_valid"] else CLOCK_UNKNOWN)
    if quality == CLOCK_UNKNOWN:
        flags.append(FLAG_CLOCK_UNKNOWN)
    tag = record.get("tag")
    return {
        "device_id": bytes(record["device_id"]).hex(),
        "seq": record["seq"],
        "patient_number": record["patient"],
        "staff_number": record["staff"],
        "measured_at": None
        if quality == CLOCK_UNKNOWN
        else datetime.fromtimestamp(record["measured_at"], tz=timezone.utc),
        "clock_valid": record["clock_valid"],
        "clock_quality": quality,
        "device_measured_at": record.get("device_measured_at", record["measured_at"]),
        "boot_count": record["boot_count"],
        "ms_since_boot": record["ms_since_boot"],
        "pulse": record["pulse"],
        "resp": record["resp"],
        "temp_raw": record["temp_raw"],
        "temp_site": record["temp_site"],
        "temp_scored": result.temp_scored_tenths,
        "sys_bp": record["sys_bp"],
        "awareness": record["awareness"],
        **{f"{name}_pts": result.points[name] for name in tobs_core.PARAMETERS},
        "total": result.total,
        "device_points": {name: record["points"][name] for name in tobs_core.PARAMETERS},
        "device_total": record["total"],
        "core_id": record["core_id"],
        "config_id": record["config_id"],
        "action": record["action"],
        "reason": record["reason"],
        "tag": None if tag is None else bytes(tag),
        "flags": ",".join(flags),
        "content_hash": content_hash(record),
    }


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class Batch:
    """One sync's records checked, re-scored and sorted as they arrive: new rows by seq, in-batch duplicates and
    conflicts, and rejected records. Pure computation; ingest() then stores it in one transaction."""

    def __init__(self, device_id_hex: str):
        self.device_id = normalize_device_id(device_id_hex)
        self._device_bytes = bytes.fromhex(self.device_id)
        self.rejected: list[_Rejected] = []
        self.by_seq: dict[int, dict[str, Any]] = {}
        self.source: dict[int, dict] = {}  # the record each row came from: a conflict keeps what the device sent
        self.in_batch_duplicates = 0
        self.in_batch_conflicts: list[tuple[int, str, dict]] = []

    def add(self, record: dict) -> None:
        reason = record.get("rejected_reason")
        if reason is None:
            reason = _problem(record, self._device_bytes)
        row = _observation(record) if reason is None else reason
        if isinstance(row, str):
            self.rejected.append(_rejected(record, row))
            return
        first = self.by_seq.get(row["seq"])
        if first is None:
            self.by_seq[row["seq"]] = row
            self.source[row["seq"]] = record
        elif first["content_hash"] == row["content_hash"]:
            self.in_batch_duplicates += 1
        else:
            self.in_batch_conflicts.append((row["seq"], row["content_hash"], record))


def ingest(
    register: Register,
    device_id_hex: str,
    records: list[dict],
    *,
    pc_user: str,
    pc_host: str,
    started_at: datetime,
    batch: Batch | None = None,
) -> IngestResult:
    """Store one sync's records from one device in one transaction, with its audit row.

    Each record (a tobs_record.decode dict, perhaps with repair_times' additions) ends as exactly one of: new;
    already_had (same device and seq, same content); conflict (same device and seq, other content: kept aside,
    the stored one untouched); rejected (carries `rejected_reason` from the sync's checksum/tag check, or cannot be
    scored: kept with its raw bytes). New observations that disagree with tobs_core's score, name an unknown core,
    or have no known time are stored and counted as flagged. Raises UnknownDevice, RegisterUnavailable.

    A sync that has already fed its records to a Batch while they arrived passes it as `batch` (records is then
    not read again): the checking and re-scoring happened while the handheld was still sending."""
    if started_at.tzinfo is None:
        raise ValueError("started_at must carry a time zone")
    if batch is None:
        batch = Batch(device_id_hex)
        for record in records:
            batch.add(record)
    elif batch.device_id != normalize_device_id(device_id_hex):
        raise ValueError("the batch was made for another device")
    device_id = batch.device_id
    rejected, by_seq, source = batch.rejected, batch.by_seq, batch.source
    in_batch_duplicates, in_batch_conflicts = batch.in_batch_duplicates, batch.in_batch_conflicts
    rows = [by_seq[seq] for seq in sorted(by_seq)]  # one order for every PC: concurrent writers cannot deadlock

    def work(session: Session) -> IngestResult:
        device = session.get(Device, device_id)
        if device is None:
            raise UnknownDevice(f"Device {device_id} is not enrolled in this register: run `tobs enroll` first.")
        site = device.site_code
        now = datetime.now(timezone.utc)
        log = SyncLog(
            device_id=device_id, pc_user=pc_user[:100], pc_host=pc_host[:255], started_at=started_at,
            finished_at=None, new=0, already_had=0, conflicts=0, rejected=0, flagged=0,
        )
        session.add(log)
        session.flush()

        _insert_ignoring_existing(
            session,
            Patient,
            [
                {"site_code": site, "number": n, "name": None, "cpr": None, "first_seen": now}
                for n in sorted({r["patient_number"] for r in rows})
            ],
        )
        _insert_ignoring_existing(
            session,
            Staff,
            [
                {"site_code": site, "number": n, "name": None, "first_seen": now}
                for n in sorted({r["staff_number"] for r in rows})
            ],
        )
        _insert_ignoring_existing(
            session,
            Observation,
            [dict(r, site_code=site, sync_id=log.id, received_at=now) for r in rows],
        )
        stored: dict[int, tuple[str, int]] = {}
        for chunk in _chunks(list(by_seq)):
            query = select(Observation.seq, Observation.content_hash, Observation.sync_id).where(
                Observation.device_id == device_id, Observation.seq.in_(chunk)
            )
            for seq, digest, sync_id in session.execute(query):
                stored[seq] = (digest, sync_id)

        new = flagged = 0
        already_had = in_batch_duplicates
        conflicts = list(in_batch_conflicts)
        for row in rows:
            digest, sync_id = stored[row["seq"]]
            if sync_id == log.id:
                new += 1
                flagged += bool(row["flags"])
            elif digest == row["content_hash"]:
                already_had += 1
            else:
                conflicts.append((row["seq"], row["content_hash"], source[row["seq"]]))
        _insert_ignoring_existing(
            session,
            Conflict,
            [
                {
                    "device_id": device_id, "seq": seq, "content_hash": digest,
                    "content": _jsonable({k: v for k, v in content.items() if k != "raw"}),
                    "sync_id": log.id, "received_at": now,
                }
                for seq, digest, content in conflicts
            ],
        )
        _insert_ignoring_existing(
            session,
            RejectedRecord,
            [
                {
                    "device_id": device_id, "seq": r.seq, "reason": r.reason, "raw": r.raw, "content": r.content,
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
