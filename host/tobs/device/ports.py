"""Finding the handheld's USB serial port by its USB IDs when the user names none."""

from __future__ import annotations

from serial.tools import list_ports

from tobs.device.link import LinkError

# Raspberry Pi's USB vendor ID and MicroPython's CDC product ID on the Pico.
PICO_VID = 0x2E8A
PICO_PID = 0x0005


def find_port(explicit: str | None = None) -> str:
    """The serial port of the one connected handheld, found by its USB IDs when not given."""
    if explicit:
        return explicit
    found = [p.device for p in list_ports.comports() if p.vid == PICO_VID and p.pid == PICO_PID]
    if not found:
        raise LinkError("No handheld found on USB: plug it in, or name its port with --port.")
    if len(found) > 1:
        raise LinkError(f"Several handhelds are connected ({', '.join(found)}): choose one with --port.")
    return found[0]
