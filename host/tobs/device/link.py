"""The PC end of the link to a handheld (docs/protocol.md): send commands, read checked frames; every transport
failure becomes a LinkError with one sentence for the user."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import serial

from tobs.shared import tobs_protocol


class LinkError(Exception):
    """Something went wrong on the link; the message is one sentence for the user."""


@dataclass
class Frame:
    kind: str
    payload: bytes

    def json(self) -> dict:
        return json.loads(self.payload.decode())


class Link:
    """One open connection to a handheld running the app."""

    def __init__(self, port: str, timeout: float = 5.0):
        self.port_name = port
        self.timeout = timeout
        try:
            self.port = serial.Serial(port, baudrate=115200, timeout=0.05, write_timeout=timeout)
        except (serial.SerialException, OSError) as e:
            raise LinkError(f"Cannot open {port}: {e}.") from e
        self.reader = tobs_protocol.FrameReader()
        self.bytes_in = 0
        self._start_session()

    def _start_session(self) -> None:
        """End any half command a cut cable left on the device, and drop what an aborted session left in flight."""
        self.send_raw(b"\n")
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 0.05:
            try:
                data = self.port.read(max(1, self.port.in_waiting))
            except (serial.SerialException, OSError) as e:
                raise LinkError(f"The connection to the handheld was lost ({e}).") from e
            if data:
                quiet_since = time.monotonic()

    def send_raw(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except (serial.SerialException, OSError) as e:
            raise LinkError(f"The connection to the handheld was lost ({e}).") from e

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, verb: str, *args) -> None:
        self.send_raw(tobs_protocol.command(verb, *args))

    def read_frame(self, timeout: float | None = None) -> Frame:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                got = self.reader.next_frame()
            except ValueError as e:
                raise LinkError(f"A damaged frame arrived from the handheld ({e}); nothing was acknowledged.") from e
            if got:
                frame = Frame(*got)
                if frame.kind == "X":
                    raise LinkError(f"The handheld refused: {frame.json().get('error', 'unknown error')}.")
                return frame
            if time.monotonic() > deadline:
                raise LinkError("The handheld stopped answering; check the cable and try again.")
            try:
                data = self.port.read(max(1, self.port.in_waiting))
            except (serial.SerialException, OSError) as e:
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
