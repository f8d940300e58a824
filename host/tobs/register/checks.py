"""Checking one pulled record before it may be stored: every field present and of its kind, the right device,
scored again with the chart (tobs_core, the same file the handheld runs), flagged where the handheld's score, chart
or clock disagree, and hashed for recognising it when it arrives again; a follow-up record (the action recorded later
for an observation saved without it) is checked and hashed the same way. Pure computation, no database."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tobs.register.keys import normalize_device_id
from tobs.register.models import CLOCK_DEVICE, CLOCK_QUALITIES, CLOCK_UNKNOWN
from tobs.shared import tobs_core, tobs_labels

FLAG_SCORE_MISMATCH = "score_mismatch"
FLAG_UNKNOWN_CORE = "unknown_core"
FLAG_CLOCK_UNKNOWN = "clock_unknown"
# Chart versions the register can vouch for: a record scored by any other core is stored but flagged.
KNOWN_CORE_IDS = frozenset({tobs_core.CORE_ID})

# The fields of a record as the device stores them (tobs_record.decode keys minus the tag), in hashing order.
DEVICE_FIELDS = (
    "seq", "measured_at", "clock_valid", "boot_count", "ms_since_boot", "device_id", "staff", "patient", "pulse",
    "resp", "temp_raw", "temp_site", "sys_bp", "awareness", "points", "total", "core_id", "config_id", "action",
    "reason", "action_missing",
)
_WHOLE_FIELDS = (
    "seq", "measured_at", "boot_count", "ms_since_boot", "staff", "patient", "pulse", "resp", "temp_raw", "sys_bp",
    "total", "action", "reason",
)
# A follow-up record's fields (tobs_record.decode of the follow-up kind, minus the tag).
FOLLOW_UP_FIELDS = (
    "seq", "measured_at", "clock_valid", "boot_count", "ms_since_boot", "device_id", "staff", "patient", "follow_up",
    "core_id", "config_id", "action", "reason",
)
_FOLLOW_UP_WHOLE = (
    "seq", "measured_at", "boot_count", "ms_since_boot", "staff", "patient", "follow_up", "action", "reason",
)
_HEX8 = re.compile(r"[0-9a-f]{8}")


def jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _hash(value: Any) -> str:
    text = json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"))
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
    for name in FOLLOW_UP_FIELDS if is_follow_up(record) else DEVICE_FIELDS:
        value = record.get("device_measured_at", record.get(name)) if name == "measured_at" else record.get(name)
        if name == "points" and isinstance(value, dict):
            value = [value.get(p) for p in tobs_core.PARAMETERS]  # a fixed order, without a sort per record
        elif isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value).hex()
        values.append(value)
    text = json.dumps(values, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def is_follow_up(record: dict) -> bool:
    return "follow_up" in record


def _common_problem(record: dict, device_id: bytes, fields: tuple[str, ...], whole: tuple[str, ...]) -> str | None:
    for name in fields:
        if name not in record:
            return f"field {name} is missing"
    for name in whole:
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
    if record.get("clock_quality", CLOCK_DEVICE) not in CLOCK_QUALITIES:
        return "clock quality is not one of %s" % ", ".join(CLOCK_QUALITIES)
    tag = record.get("tag")
    if tag is not None and not isinstance(tag, (bytes, bytearray)):
        return "field tag is not bytes"
    return None


def problem(record: dict, device_id: bytes) -> str | None:
    """Why a decoded record cannot be stored as an observation (or, for a follow-up, as a follow-up), or None."""
    if is_follow_up(record):
        why = _common_problem(record, device_id, FOLLOW_UP_FIELDS, _FOLLOW_UP_WHOLE)
        if why is None and record["action"] == 0:
            why = "a follow-up record names no action"
        if why is None and record["follow_up"] >= record["seq"]:
            why = "a follow-up record names an observation that is not older than itself"
        return why
    why = _common_problem(record, device_id, DEVICE_FIELDS, _WHOLE_FIELDS)
    if why is not None:
        return why
    if not isinstance(record["action_missing"], bool):
        return "field action_missing is not true/false"
    points = record["points"]
    if not isinstance(points, dict) or set(points) != set(tobs_core.PARAMETERS):
        return "field points does not name the five parameters"
    if any(not isinstance(points[p], int) or isinstance(points[p], bool) for p in tobs_core.PARAMETERS):
        return "field points holds something other than whole numbers"
    return None


@dataclass
class Rejected:
    seq: int | None
    reason: str
    raw: bytes | None
    content: dict | None
    content_hash: str


def rejected_record(record: dict, reason: str) -> Rejected:
    raw = record.get("raw")
    raw = bytes(raw) if isinstance(raw, (bytes, bytearray, memoryview)) else None
    content = {k: jsonable(v) for k, v in record.items() if k not in ("raw", "rejected_reason")} or None
    seq = record.get("seq")
    return Rejected(
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        reason=reason[:500],
        raw=raw,
        content=content,
        content_hash=hashlib.sha256(raw).hexdigest() if raw is not None else _hash(content),
    )


def observation_row(record: dict) -> dict[str, Any] | str:
    """The observation row (without site and sync columns) for a checked record, or why it cannot be scored."""
    try:
        result = tobs_core.score(
            record["pulse"], record["resp"], record["temp_raw"] / 10, record["sys_bp"], record["awareness"],
            record["temp_site"],
        )
    except tobs_core.VitalError as e:
        return f"values cannot be scored: {tobs_labels.message(e, 'en')}"
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
        "action_missing": record["action_missing"],
        "tag": None if tag is None else bytes(tag),
        "flags": ",".join(flags),
        "content_hash": content_hash(record),
    }


def follow_up_row(record: dict) -> dict[str, Any]:
    """The follow-up row (without site and sync columns) for a checked follow-up record."""
    quality = record.get("clock_quality", CLOCK_DEVICE if record["clock_valid"] else CLOCK_UNKNOWN)
    tag = record.get("tag")
    return {
        "device_id": bytes(record["device_id"]).hex(),
        "seq": record["seq"],
        "observation_seq": record["follow_up"],
        "patient_number": record["patient"],
        "staff_number": record["staff"],
        "recorded_at": None
        if quality == CLOCK_UNKNOWN
        else datetime.fromtimestamp(record["measured_at"], tz=timezone.utc),
        "clock_valid": record["clock_valid"],
        "clock_quality": quality,
        "device_recorded_at": record.get("device_measured_at", record["measured_at"]),
        "boot_count": record["boot_count"],
        "ms_since_boot": record["ms_since_boot"],
        "action": record["action"],
        "reason": record["reason"],
        "core_id": record["core_id"],
        "config_id": record["config_id"],
        "tag": None if tag is None else bytes(tag),
        "content_hash": content_hash(record),
    }


class Batch:
    """One sync's records checked, re-scored and sorted as they arrive: new observation rows by seq, follow-up rows
    by seq (one sequence for both: the device numbers every record it stores), in-batch duplicates and conflicts,
    and rejected records. Pure computation; ingest() then stores it in one transaction."""

    def __init__(self, device_id_hex: str, store_epoch: int = 0):
        self.device_id = normalize_device_id(device_id_hex)
        self.store_epoch = store_epoch  # every record of one sync comes from the one store the handheld has
        self._device_bytes = bytes.fromhex(self.device_id)
        self.rejected: list[Rejected] = []
        self.by_seq: dict[int, dict[str, Any]] = {}
        self.follow_ups: dict[int, dict[str, Any]] = {}
        self.source: dict[int, dict] = {}  # the record each row came from: a conflict keeps what the device sent
        self.in_batch_duplicates = 0
        self.in_batch_conflicts: list[tuple[int, str, dict]] = []

    def add(self, record: dict) -> None:
        reason = record.get("rejected_reason")
        if reason is None:
            reason = problem(record, self._device_bytes)
        follow_up = is_follow_up(record)
        if reason is not None:
            row: dict[str, Any] | str = reason
        else:
            row = follow_up_row(record) if follow_up else observation_row(record)
        if isinstance(row, str):
            self.rejected.append(rejected_record(record, row))
            return
        row["store_epoch"] = self.store_epoch
        first = self.by_seq.get(row["seq"]) or self.follow_ups.get(row["seq"])
        if first is None:
            (self.follow_ups if follow_up else self.by_seq)[row["seq"]] = row
            self.source[row["seq"]] = record
        elif first["content_hash"] == row["content_hash"]:
            self.in_batch_duplicates += 1
        else:
            self.in_batch_conflicts.append((row["seq"], row["content_hash"], record))
