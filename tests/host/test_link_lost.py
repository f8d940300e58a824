"""A handheld that drops off USB while the PC is writing to it (a Pico resetting, the emulated RP2040 powering
off) is a LinkError with one sentence, whatever layer of the serial stack notices first."""

import os
import pty
import tty

import pytest

from tobs.device.link import Link, LinkError


def test_a_port_that_vanishes_while_the_bytes_drain_is_a_lost_connection(monkeypatch):
    device, pc_end = pty.openpty()
    tty.setraw(pc_end)
    link = Link(os.ttyname(pc_end), timeout=0.2)
    write = link.port.write

    def write_then_unplug(data):
        # The bytes are taken, then the device end goes before they have drained: flush() (tcdrain) fails.
        n = write(data)
        os.close(device)
        return n

    monkeypatch.setattr(link.port, "write", write_then_unplug)
    try:
        with pytest.raises(LinkError, match="connection to the handheld was lost"):
            link.send("HELLO")
    finally:
        link.close()
        os.close(pc_end)
