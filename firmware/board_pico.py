# The real Raspberry Pi Pico: every pin and every piece of hardware the handheld touches is here and
# nowhere else. The wiring is documented in hw/pinmap.md; a test checks the two agree.
import sys
import time

import machine
from machine import I2C, RTC, Pin

from handheld.i2c_bus import I2CBus
from handheld.keypad import Debouncer, decode_scan

NAME = "pico"

# GPIO numbers (not package pin numbers). Rows are driven low one at a time; columns have pull-ups.
PINS = {
    "i2c_sda": 4,
    "i2c_scl": 5,
    "key_row_1": 6,
    "key_row_2": 7,
    "key_row_3": 8,
    "key_row_4": 9,
    "key_col_1": 10,
    "key_col_2": 11,
    "key_col_3": 12,
    "key_col_4": 13,
    "buzzer": 15,
}
I2C_ID = 0  # GP4/GP5 are I2C0
I2C_FREQ = 400_000

# A bare Pico's RTC restarts at 2021-01-01 on every power-up; a year before this means "not set".
_FIRST_VALID_YEAR = 2025

_rows = [Pin(PINS["key_row_%d" % (i + 1)], Pin.IN) for i in range(4)]
_cols = [Pin(PINS["key_col_%d" % (i + 1)], Pin.IN, Pin.PULL_UP) for i in range(4)]
_debouncer = Debouncer(settle_ms=20)
_rtc = RTC()
_buzzer = Pin(PINS["buzzer"], Pin.OUT, value=0)  # driven low: silent, and not a floating input picking up noise
_i2c = None
_bus = None
_ds3231 = None  # the battery-backed clock chip, when one answers on the display's bus
_ds3231_probed = False
_log = []


def _i2c_bus():
    global _i2c
    if _i2c is None:
        _i2c = I2C(I2C_ID, sda=Pin(PINS["i2c_sda"]), scl=Pin(PINS["i2c_scl"]), freq=I2C_FREQ)
    return _i2c


def display_bus():
    global _bus
    if _bus is None:
        _bus = I2CBus(_i2c_bus())
    return _bus


def _clock_chip():
    """The DS3231 if one is fitted (probed once). Its valid time is copied into the Pico's RTC at the first call,
    so now() stays a cheap time.time() and the chip is only read again to check validity."""
    global _ds3231, _ds3231_probed
    if not _ds3231_probed:
        _ds3231_probed = True
        from handheld.ds3231 import DS3231

        i2c = _i2c_bus()
        try:
            if DS3231.present(i2c):
                chip = DS3231(i2c)
                if chip.valid():
                    _set_pico_rtc(chip.read())
                _ds3231 = chip
        except OSError as e:
            log("ds3231: not usable (%r); using the Pico's RTC" % (e,))
            _ds3231 = None
    return _ds3231


def _scan():
    # Idle rows float as inputs so that two keys pressed in one column cannot short a driven-high row to a
    # driven-low one; only the row being read is an output, pulled low.
    pressed = []
    for r, row in enumerate(_rows):
        row.init(Pin.OUT, value=0)
        for c, col in enumerate(_cols):
            if col.value() == 0:
                pressed.append((r, c))
        row.init(Pin.IN)
    return decode_scan(pressed)


def read_key():
    return _debouncer.update(_scan(), time.ticks_ms(), time.ticks_diff)


def ticks_ms():
    return time.ticks_ms()


def sleep_ms(ms):
    time.sleep_ms(ms)


def now():
    _clock_chip()
    return time.time()


def clock_valid():
    chip = _clock_chip()
    if chip is not None:
        try:
            return chip.valid()
        except OSError as e:
            log("ds3231: status unreadable (%r)" % (e,))
    return time.localtime()[0] >= _FIRST_VALID_YEAR


def _set_pico_rtc(unix_s):
    t = time.gmtime(unix_s)
    # RTC.datetime takes (year, month, day, weekday, hours, minutes, seconds, subseconds).
    _rtc.datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0))


def set_clock(unix_s):
    chip = _clock_chip()  # probed first: the probe copies the chip's old time into the RTC
    _set_pico_rtc(unix_s)
    if chip is not None:
        try:
            chip.set(unix_s)
        except OSError as e:
            log("ds3231: could not be set (%r); the time is lost at the next power-up" % (e,))


def unique_id():
    return machine.unique_id()


def storage_root():
    return "/"


def serial():
    return sys.stdin.buffer, sys.stdout.buffer


def log(msg):
    # USB serial is the sync link, so log lines stay in a small ring in RAM for the status screen.
    _log.append(msg)
    if len(_log) > 8:
        _log.pop(0)


def idle():
    # Nothing to signal on real hardware; the virtual Pico uses this to tell its host a key was handled.
    return None
