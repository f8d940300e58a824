"""A scripted handheld behind a pty, for what the real firmware never does: answers that are malformed, too long,
or never end. The PC's Link opens the pty like any serial port; the script decides every byte that comes back."""

from __future__ import annotations

import os
import select
import threading
import tty
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from tobs.shared import tobs_core, tobs_protocol, tobs_record

DEVICE_ID = "e66141040397a12b"

# A script answers one command: (verb, args) -> the chunks of bytes to send back (a generator may never end).
Script = Callable[[str, list], Iterable[bytes]]


def hello(**changes) -> dict:
    """A HELLO answer as the firmware gives it, with some fields changed (a value None removes the field)."""
    info = {
        "proto": tobs_protocol.PROTOCOL, "firmware": "fake", "board": "fake", "device_id": DEVICE_ID,
        "core_id": tobs_core.CORE_ID, "enrolled": True, "enrolled_site": "test", "pending": 2, "count": 2,
        "next_seq": 3, "store_epoch": 7, "synced_to": 0, "boot_count": 1, "ms_since_boot": 5000,
        "now": 1_800_000_000, "clock_valid": True,
    }
    info.update(changes)
    return {k: v for k, v in info.items() if v is not None}


def record(key: bytes, seq: int, epoch: int = 7, patient: int = 301) -> bytes:
    """One record as the handheld stores and sends it: encoded by tobs_record and tagged with the device key."""
    result = tobs_core.score(72, 14, 36.8, 132, "habitual", "rectal")
    fields = {
        "measured_at": int(datetime(2026, 12, 1, 8, tzinfo=timezone.utc).timestamp()) + seq, "clock_valid": True,
        "boot_count": 1, "ms_since_boot": 1000 * seq, "device_id": bytes.fromhex(DEVICE_ID), "staff": 1001,
        "patient": patient, "pulse": 72, "resp": 14, "temp_raw": 368, "temp_site": "rectal", "sys_bp": 132,
        "awareness": "habitual", "points": dict(result.points), "total": result.total, "core_id": tobs_core.CORE_ID,
        "config_id": "0" * 8, "action": 0, "reason": 0,
    }
    raw = tobs_record.encode(fields, seq)
    return bytes(tobs_record.with_tag(raw, tobs_protocol.record_tag(key, tobs_record.signed_part(raw), epoch)))


def json_frame(kind: str, value) -> bytes:
    import json

    return tobs_protocol.frame(kind, json.dumps(value).encode())


def honest(key: bytes, hello_answer: dict | None = None, records: list[bytes] | None = None) -> Script:
    """A handheld that answers as the firmware does; the base that malformed scripts change one answer of."""
    hello_answer = hello_answer or hello()
    records = [record(key, 1), record(key, 2)] if records is None else records
    epoch = hello_answer.get("store_epoch", 0)

    def answer(verb: str, args: list) -> Iterable[bytes]:
        if verb == "HELLO":
            yield json_frame("H", hello_answer)
        elif verb == "PULL":
            sent = records[: int(args[1])]
            if sent:
                yield tobs_protocol.frame("R", b"".join(sent))
            last = tobs_record.seq_of(sent[-1]) if sent else None
            yield json_frame("E", {"count": len(sent), "last_seq": last, "store_epoch": epoch})
        elif verb == "ACK":
            yield json_frame("A", {"synced_to": int(args[0]), "pending": 0, "freed": 0})
        elif verb == "TIME":
            yield json_frame("T", {"now": int(args[0]), "clock_valid": True})
        else:
            yield json_frame("X", {"error": "unknown command " + verb})

    return answer


def changed(base: Script, verb: str, replacement: Callable[[list], Iterable[bytes]]) -> Script:
    """`base`, except that `verb` is answered by `replacement`."""

    def answer(got: str, args: list) -> Iterable[bytes]:
        return replacement(args) if got == verb else base(got, args)

    return answer


class FakeHandheld:
    """The far end of a pty, answering each command line with what the script gives; `commands` is what the PC
    sent, so a test can tell that nothing was acknowledged."""

    def __init__(self, script: Script, unasked: Iterable[bytes] = ()):
        self.script, self.unasked = script, unasked
        self.commands: list[tuple[str, list]] = []
        self.sent = 0
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeHandheld:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)
        os.close(self._master)
        os.close(self._slave)

    def verbs(self) -> list[str]:
        return [verb for verb, _ in self.commands]

    def _serve(self) -> None:
        for chunk in self.unasked:  # what it sends before it is asked anything (possibly without end)
            if not self._write(chunk):
                return
        line = b""
        while not self._stop.is_set():
            if not select.select([self._master], [], [], 0.02)[0]:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            line += data
            while b"\n" in line:
                text, line = line.split(b"\n", 1)
                if not text.strip():
                    continue
                verb, args = tobs_protocol.parse_command(text)
                self.commands.append((verb, args))
                for chunk in self.script(verb, args):
                    if not self._write(chunk):
                        return

    def _write(self, chunk: bytes) -> bool:
        """Send all of chunk, unless the test ends first (an endless script is stopped here)."""
        view = memoryview(chunk)
        while view:
            if self._stop.is_set():
                return False
            if not select.select([], [self._master], [], 0.02)[1]:
                continue
            try:
                n = os.write(self._master, view)
            except OSError:
                return False
            self.sent += n
            view = view[n:]
        return True
