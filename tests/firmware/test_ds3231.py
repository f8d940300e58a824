# The DS3231 driver against a fake I2C bus holding the chip's registers (plain asserts: CPython and MicroPython).
from handheld import ds3231
from handheld.ds3231 import DS3231


class FakeRTCBus:
    """machine.I2C's memory interface over a 19-byte register file at one address; the OSF bit is set as on a
    DS3231 that has just been powered for the first time."""

    def __init__(self, addr=0x68):
        self.addr = addr
        self.regs = bytearray(19)
        self.regs[0x0F] = 0x80
        self.writes = []

    def scan(self):
        return [0x3C, self.addr]

    def readfrom_mem_into(self, addr, reg, buf):
        assert addr == self.addr, "read from 0x%02x" % addr
        for i in range(len(buf)):
            buf[i] = self.regs[reg + i]

    def writeto_mem(self, addr, reg, buf):
        assert addr == self.addr, "write to 0x%02x" % addr
        self.writes.append((reg, bytes(buf)))
        for i in range(len(buf)):
            self.regs[reg + i] = buf[i]


def test_set_writes_bcd_time_registers_and_read_gives_it_back():
    bus = FakeRTCBus()
    rtc = DS3231(bus)
    t = 1795425022  # 2026-11-23 09:10:22 UTC, a Monday
    rtc.set(t)
    assert bytes(bus.regs[0:7]) == bytes([0x22, 0x10, 0x09, 0x01, 0x23, 0x11, 0x26])
    assert rtc.read() == t


def test_oscillator_stop_flag_means_time_not_valid_until_set():
    bus = FakeRTCBus()
    rtc = DS3231(bus)
    assert not rtc.valid()
    bus.regs[0x0F] = 0x88  # OSF with another status bit (EN32kHz) that set() must leave alone
    rtc.set(1767225600)
    assert rtc.valid() and bus.regs[0x0F] == 0x08


def test_read_handles_12_hour_mode_and_leap_days():
    bus = FakeRTCBus()
    rtc = DS3231(bus)
    # 2028-02-29 11:59:58 PM in 12-hour mode (bit 6), PM (bit 5), hour 11.
    bus.regs[0:7] = bytes([0x58, 0x59, 0x40 | 0x20 | 0x11, 0x03, 0x29, 0x02, 0x28])
    assert rtc.read() == ds3231.to_unix(2028, 2, 29, 23, 59, 58) == 1835481598
    bus.regs[2] = 0x40 | 0x12  # 12 AM is midnight
    assert rtc.read() == ds3231.to_unix(2028, 2, 29, 0, 59, 58)


def test_unix_conversion_round_trips_across_years():
    for t in (0, 951782400, 1709164800, 1767225599, 4102444800, 4107542399):
        y, mo, d, h, mi, s, _wd = ds3231.from_unix(t)
        assert ds3231.to_unix(y, mo, d, h, mi, s) == t, t
    assert ds3231.from_unix(951782400)[:3] == (2000, 2, 29)
    assert ds3231.from_unix(0)[6] == 3  # Thursday


def test_present_probes_the_address_and_out_of_range_years_are_refused():
    assert DS3231.present(FakeRTCBus())
    assert not DS3231.present(FakeRTCBus(addr=0x57))
    try:
        DS3231(FakeRTCBus()).set(0)
    except ValueError:
        pass
    else:
        raise AssertionError("1970 accepted")
