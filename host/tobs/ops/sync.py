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

# The most records one sync asks for: far above what a handheld's flash holds (~19,000), so a HELLO claiming more
# is impossible.
PULL_MAX = 1_000_000


@dataclass(frozen=True)
class PullLimits:
    """What a pull may cost, derived from what the PC asked for: a handheld that goes past any of these is refused
    and nothing is acknowledged. The time allows for the emulated RP2040 (1/5-1/8 of real time) and a slow flash;
    the bytes allow one record per frame (the worst framing) plus the end frame and stray output."""

    base_seconds: float = 60.0
    seconds_per_record: float = 0.05
    slack_bytes: int = 64 * 1024

    def seconds(self, limit: int) -> float:
        return self.base_seconds + limit * self.seconds_per_record

    def bytes(self, limit: int) -> int:
        frame_overhead = tobs_protocol.HEADER + 4
        end_frame = frame_overhead + tobs_protocol.MAX_PAYLOAD
        return limit * (tobs_record.RECORD_SIZE + frame_overhead) + end_frame + self.slack_bytes


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
    # From HELLO's pin_lockouts: staff numbers locked out on the handheld now, and wrong PINs typed on it since its
    # last sync (0 and 0 from firmware from before PIN lockout).
    pins_locked: int = 0
    pin_failures: int = 0

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


def pull(link: Link, key: bytes, progress=None, arrived=None, store_epoch: int = 0, limit: int = PULL_MAX,
         limits: PullLimits | None = None) -> tuple[list[dict], int | None]:
    """At most `limit` unsynced records from the device, checked; and the last sequence number it sent.

    arrived(record) is called for each record as it comes in, so the PC's share of the work overlaps the
    handheld's sending. A device that sends more records, more bytes or for longer than `limits` allow for
    `limit` records, or whose end frame disagrees with what it sent, is a LinkError: nothing gets acknowledged."""
    limits = limits or PullLimits()
    until = time.monotonic() + limits.seconds(limit)
    max_bytes_in = link.bytes_in + limits.bytes(limit)
    link.send("PULL", 0, limit)
    records: list[dict] = []
    last_sent: int | None = None
    size = tobs_record.RECORD_SIZE
    while True:
        frame = link.read_frame(until=until, max_bytes_in=max_bytes_in)
        if frame.kind == "R":
            if not frame.payload or len(frame.payload) % size:
                raise LinkError("A records frame from the handheld had a partial record; nothing was acknowledged.")
            if len(records) + len(frame.payload) // size > limit:
                raise LinkError(
                    f"The handheld sent more than the {limit} records it was asked for; nothing was acknowledged."
                )
            for i in range(0, len(frame.payload), size):
                raw = frame.payload[i : i + size]
                last_sent = tobs_record.seq_of(raw)
                record = check_record(raw, key, store_epoch)
                records.append(record)
                if arrived:
                    arrived(record)
            if progress:
                progress(len(records))
        elif frame.kind == "E":
            end = frame.json()
            count, last_seq = end.get("count"), end.get("last_seq")
            if not _is_int(count) or count != len(records):
                raise LinkError(
                    f"The handheld's end frame counted {count!r:.20} records where {len(records)} arrived; nothing "
                    "was acknowledged."
                )
            if last_seq != last_sent or isinstance(last_seq, bool):
                raise LinkError(
                    f"The handheld's end frame named record {last_seq!r:.20} as the last where it sent "
                    f"{last_sent!r}; nothing was acknowledged."
                )
            if end.get("store_epoch", 0) != store_epoch:
                raise LinkError("The handheld's store changed during the sync; nothing was acknowledged.")
            return records, last_seq
        else:
            raise LinkError(f"Unexpected '{frame.kind}' frame during the pull; nothing was acknowledged.")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_U32 = 0xFFFFFFFF
# What the sync reads of a HELLO: (field, may it be missing or null, smallest, largest). A store epoch is missing
# in firmware from before store epochs (one store, epoch 0); synced_to in firmware from before it was reported.
_HELLO_NUMBERS = (
    ("pending", False, 0, PULL_MAX),
    ("next_seq", False, 1, _U32 + 1),
    ("synced_to", True, 0, _U32),
    ("store_epoch", True, 0, _U32),
    ("boot_count", False, 0, _U32),
    ("ms_since_boot", False, 0, 2**63 - 1),
    ("now", False, 0, 2**40),
)


def checked_hello(hello: dict) -> dict:
    """The HELLO answer if every field the sync uses is there and possible; else a LinkError naming the field.
    A handheld's answer is input like any other: a bad one must end in a sentence, never in a traceback."""
    if hello.get("proto") != tobs_protocol.PROTOCOL:
        raise LinkError(
            f"The handheld speaks link protocol {hello.get('proto')!r:.20}, this program {tobs_protocol.PROTOCOL}."
        )
    try:
        device_id = keys.normalize_device_id(hello.get("device_id"))
    except register_db.RegisterError:
        raise LinkError(
            f"The handheld's HELLO had no device id of 16 hex digits ({hello.get('device_id')!r:.40}); nothing was "
            "pulled."
        ) from None
    checked = dict(hello, device_id=device_id)
    for name, optional, smallest, largest in _HELLO_NUMBERS:
        value = hello.get(name)
        if value is None and optional:
            checked[name] = 0 if name == "store_epoch" else None
            continue
        if not _is_int(value) or not smallest <= value <= largest:
            raise LinkError(f"The handheld's HELLO had an impossible {name} ({value!r:.40}); nothing was pulled.")
    checked["pin_lockouts"] = _checked_pin_lockouts(hello.get("pin_lockouts"))
    return checked


# A staff number has at most 8 digits; the failures since a sync are a 32-bit count on any real handheld.
_PIN_LOCKOUT_BOUNDS = (("locked", 99_999_999), ("failures", _U32))


def _checked_pin_lockouts(value) -> dict:
    """HELLO's pin_lockouts ({"locked": staff numbers locked now, "failures": wrong PINs since the last sync}); missing
    in firmware from before PIN lockout, read as none."""
    if value is None:
        return {"locked": 0, "failures": 0}
    if not isinstance(value, dict) or not all(
        _is_int(value.get(name)) and 0 <= value[name] <= largest for name, largest in _PIN_LOCKOUT_BOUNDS
    ):
        raise LinkError(f"The handheld's HELLO had an impossible pin_lockouts ({value!r:.60}); nothing was pulled.")
    return {name: value[name] for name, _ in _PIN_LOCKOUT_BOUNDS}


def sync_port(
    port: str,
    db_url: str | None,
    progress=None,
    set_clock: bool = True,
    lock_timeout: float | None = None,
    timeout: float = 5.0,
    limits: PullLimits | None = None,
) -> SyncResult:
    """Open the register, then the handheld on `port`, and sync. The register comes first: if it is unavailable
    the handheld is not touched and keeps everything. timeout: how long the handheld may stay silent before the
    cable counts as pulled."""
    options = {} if lock_timeout is None else {"timeout": lock_timeout}
    register = register_db.open_register(db_url, announce=None, **options)
    try:
        with Link(port, timeout=timeout) as link:
            return sync(link, register, progress=progress, set_clock=set_clock, limits=limits)
    finally:
        register.close()


def sync(link: Link, register: register_db.Register, progress=None, set_clock: bool = True,
         limits: PullLimits | None = None) -> SyncResult:
    """Pull, check and store the handheld's unsynced records in one transaction, then ACK them and set its clock.
    progress(records so far) is called as frames arrive. The pull asks for what the HELLO says is pending, and
    `limits` bound what that may cost."""
    started = time.monotonic()
    hello = checked_hello(link.request("HELLO", expect="H").json())
    device_id = hello["device_id"]
    key = keys.device_key(register, device_id)
    if key is None:
        raise LinkError(f"Handheld {device_id} is not enrolled in this register: run `tobs enroll --site SITE`.")
    epoch = hello["store_epoch"]
    pc_host = socket.gethostname()
    register_problems.record_sighting(register, keys.normalize_device_id(device_id), hello, pc_host)
    result = SyncResult(device_id=device_id, store_epoch=epoch)
    result.pins_locked = hello["pin_lockouts"]["locked"]
    result.pin_failures = hello["pin_lockouts"]["failures"]
    host_now = time.time()
    batch = checks.Batch(device_id, epoch)

    def arrived(record: dict) -> None:
        # Place its time and check and re-score it now, while the handheld is still sending.
        clock.repair_times(
            [record], hello["now"], hello["boot_count"], hello["ms_since_boot"], int(host_now)
        )
        batch.add(record)

    pending = hello["pending"]
    # Asking for exactly what is pending is what lets the PC bound the pull; a record saved meanwhile waits for the
    # next sync.
    records, last_seq = pull(link, key, progress, arrived, store_epoch=epoch, limit=pending, limits=limits)
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
        answer = link.request("ACK", last_seq, tobs_protocol.to_hex(tag), expect="A").json()
        if answer.get("synced_to") != last_seq or isinstance(answer.get("synced_to"), bool):
            # The register holds them already, so the next sync finds them there; the device alone may be confused.
            raise LinkError(
                f"The handheld confirmed records up to {answer.get('synced_to')!r:.20} where {last_seq} were "
                "acknowledged; the register holds them, and the next sync will show what the handheld kept."
            )
        result.acknowledged_to = last_seq
    with register.read() as session:
        found = register_problems.store_problems(session, batch.device_id, None)
    result.store_problems = [p.reason for p in found]
    if set_clock:
        link.request("TIME", int(time.time()), expect="T")
        result.clock_set = True
    result.seconds = time.monotonic() - started
    return result
