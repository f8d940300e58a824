"""The PC end of the link to a handheld (docs/protocol.md): send commands, read checked frames; every transport
failure becomes a LinkError with one sentence for the user."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import serial

from tobs.shared import tobs_protocol

try:
    import termios
except ImportError:  # Windows: pyserial reports every port failure as SerialException there
    termios = None

# What a port that goes away under us raises: pyserial wraps most of it, but its flush() on POSIX lets tcdrain's
# termios.error through (a Pico resetting while the bytes drain), which is no OSError.
_PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError) + (
    (termios.error,) if termios is not None else ()
)


class LinkError(Exception):
    """Something went wrong on the link; the message is one sentence for the user."""


# Opening a session drains what an aborted one left in flight. A handheld holds at most ~19,000 records of 75 bytes
# (1.4 MB of flash), so more than 2 MiB, or more than half a minute without a pause, is a device that will not stop.
DRAIN_SECONDS = 30.0
DRAIN_BYTES = 2 * 1024 * 1024


@dataclass
class Frame:
    kind: str
    payload: bytes

    def json(self) -> dict:
        """The payload as a JSON object; anything else from a handheld is a LinkError, never a traceback."""
        try:
            value = json.loads(self.payload.decode())
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise LinkError(f"The handheld's '{self.kind}' frame was not JSON; nothing was acknowledged.") from None
        if not isinstance(value, dict):
            raise LinkError(
                f"The handheld's '{self.kind}' frame held a JSON {type(value).__name__}, not an object; nothing was "
                "acknowledged."
            )
        return value


class Link:
    """One open connection to a handheld running the app."""

    def __init__(self, port: str, timeout: float = 5.0, drain_seconds: float = DRAIN_SECONDS,
                 drain_bytes: int = DRAIN_BYTES):
        self.port_name = port
        self.timeout = timeout
        self.drain_seconds, self.drain_bytes = drain_seconds, drain_bytes
        try:
            self.port = serial.Serial(port, baudrate=115200, timeout=0.05, write_timeout=timeout)
        except _PORT_ERRORS as e:
            raise LinkError(f"Cannot open {port}: {e}.") from e
        self.reader = tobs_protocol.FrameReader()
        self.bytes_in = 0
        self._start_session()

    def _start_session(self) -> None:
        """End any half command a cut cable left on the device, and drop what an aborted session left in flight."""
        self.send_raw(b"\n")
        quiet_since = started = time.monotonic()
        drained = 0
        while time.monotonic() - quiet_since < 0.05:
            try:
                data = self.port.read(max(1, self.port.in_waiting))
            except _PORT_ERRORS as e:
                raise LinkError(f"The connection to the handheld was lost ({e}).") from e
            if data:
                quiet_since = time.monotonic()
                drained += len(data)
                if drained > self.drain_bytes or quiet_since - started > self.drain_seconds:
                    self.close()
                    raise LinkError(
                        "The handheld keeps sending without being asked; nothing was pulled or acknowledged "
                        "(unplug it, plug it in again and retry)."
                    )

    def send_raw(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except _PORT_ERRORS as e:
            raise LinkError(f"The connection to the handheld was lost ({e}).") from e

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, verb: str, *args) -> None:
        self.send_raw(tobs_protocol.command(verb, *args))

    def read_frame(self, timeout: float | None = None, until: float | None = None,
                   max_bytes_in: int | None = None) -> Frame:
        """The next checked frame. timeout: how long it may take from now; until: a time.monotonic() by which
        the frame must be whole; max_bytes_in: a ceiling on bytes_in, for a handheld that sends without end."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        if until is not None:
            deadline = min(deadline, until)
        while True:
            try:
                got = self.reader.next_frame()
            except ValueError as e:
                raise LinkError(f"A damaged frame arrived from the handheld ({e}); nothing was acknowledged.") from e
            if got:
                frame = Frame(*got)
                if frame.kind == "X":
                    raise LinkError(f"The handheld refused: {str(frame.json().get('error', 'unknown error'))[:200]}.")
                return frame
            if time.monotonic() > deadline:
                if until is not None and deadline == until:
                    raise LinkError("The handheld took longer than a sync may take; nothing was acknowledged.")
                raise LinkError("The handheld stopped answering; check the cable and try again.")
            if max_bytes_in is not None and self.bytes_in > max_bytes_in:
                raise LinkError("The handheld sent more than it was asked for; nothing was acknowledged.")
            try:
                data = self.port.read(max(1, self.port.in_waiting))
            except _PORT_ERRORS as e:
                raise LinkError(f"The connection to the handheld was lost ({e}).") from e
            if data:
                self.bytes_in += len(data)
                self.reader.feed(data)

    def request(self, verb: str, *args, expect: str, timeout: float | None = None) -> Frame:
        self.send(verb, *args)
        frame = self.read_frame(timeout)
        if frame.kind != expect:
            raise LinkError(f"The handheld answered {verb} with an unexpected '{frame.kind}' frame.")
        return frame
