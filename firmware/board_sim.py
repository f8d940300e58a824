# The virtual Pico's board file, for MicroPython's unix port: an emulated I2C bus whose writes go to the host,
# a keypad and clock fed by the host, a LittleFS image of the Pico's flash size, and the Pico's Ctrl-C habit.
# Channels (set up by the host's VirtualPico): events out on fd $TOBS_SIM_EVENTS as frames
# kind:1 | len:2 big-endian | payload ('W' I2C write addr+bytes, 'I' idle, 'L' log line); control in on fd
# $TOBS_SIM_CONTROL, one byte per key, or 'T' + 4-byte big-endian ms to move the clock forward.
import os
import select
import sys
import time

import machine
import micropython

from board_sim_flash import BLOCK, PICO_BLOCKS, FlashImage

NAME = "sim"
# Set by the host's flash boot script when main.py and everything it imports come from /flash, as on a Pico;
# False when the firmware runs straight from the repository (the deploy step refuses that virtual Pico).
boots_from_flash = False

_DISPLAY_ADDR = 0x3C
_KEYS = b"0123456789*#ABCD"
_FLASH_MOUNT = "/flash"
_BARE_PICO_EPOCH = 1609459200  # 2021-01-01 00:00:00 UTC: where a Pico's RTC starts after power-up
_ISIG = 0x0001  # termios lflag bit: the terminal turns the interrupt character into SIGINT
_LFLAG = 3  # index of lflag in termios.tcgetattr()'s list


def _open_fd(env, mode):
    fd = os.getenv(env)
    if not fd:
        return None
    return open("/dev/fd/" + fd, mode)


_events = _open_fd("TOBS_SIM_EVENTS", "wb")
_control = _open_fd("TOBS_SIM_CONTROL", "rb")
_poll = None
if _control is not None:
    _poll = select.poll()
    _poll.register(_control, select.POLLIN)
_header = bytearray(4)
_consumed = True  # so the first idle() after start tells the host the firmware is up


def _emit(kind, payload, addr=-1):
    if _events is None:
        return
    n = len(payload) + (addr >= 0)
    _header[0] = kind
    _header[1] = n >> 8
    _header[2] = n & 0xFF
    if addr >= 0:
        _header[3] = addr
        _events.write(_header)
    else:
        _events.write(memoryview(_header)[:3])
    if payload:
        _events.write(payload)


# ---- virtual clock -------------------------------------------------------------------------------------------
# ticks_ms and the wall clock run in real time plus whatever the host has added with 'T'.
_advanced_ms = 0
_start_ticks = time.ticks_ms()
if os.getenv("TOBS_SIM_CLOCK") == "host":
    # A battery-backed RTC (DS3231): valid from power-up, host time.
    _wall_base_ms = time.time_ns() // 1000000
    _clock_valid = True
else:
    _wall_base_ms = _BARE_PICO_EPOCH * 1000
    _clock_valid = False


def ticks_ms() -> int:
    return time.ticks_add(time.ticks_ms(), _advanced_ms)


def _elapsed_ms():
    return time.ticks_diff(ticks_ms(), _start_ticks)


def sleep_ms(ms: int) -> None:
    time.sleep_ms(ms)


def now() -> int:
    return (_wall_base_ms + _elapsed_ms()) // 1000


def clock_valid() -> bool:
    return _clock_valid


def set_clock(unix_s: int) -> None:
    global _wall_base_ms, _clock_valid
    _wall_base_ms = unix_s * 1000 - _elapsed_ms()
    _clock_valid = True


# ---- keypad and idle -----------------------------------------------------------------------------------------
def _control_ready():
    for _ in _poll.ipoll(0):
        return True
    return False


def read_key():
    global _consumed, _advanced_ms, _poll
    while _poll is not None and _control is not None and _control_ready():
        b = _control.read(1)
        if not b:
            # The host closed the channel: a keypad that is gone; stop polling a dead pipe.
            log("control: channel closed")
            _poll = None
            return None
        _consumed = True
        if b == b"T":
            # The host writes all 5 bytes at once, so the 4 that follow are there already.
            ms = _control.read(4)
            _advanced_ms += (ms[0] << 24) | (ms[1] << 16) | (ms[2] << 8) | ms[3]
        elif b in _KEYS:
            return b.decode()
        else:
            log("control: ignored byte %r" % b)
    return None


def idle() -> None:
    global _consumed
    if _consumed:
        _consumed = False
        _emit(ord("I"), b"")


def log(msg: str) -> None:
    if _events is None:
        sys.stderr.write(msg + "\n")
    else:
        _emit(ord("L"), msg.encode())


# ---- display bus -----------------------------------------------------------------------------------------------
class _EmulatedI2C:
    """machine.I2C semantics: only the SSD1306 answers; every write goes to the host as it would on the wire."""

    def writeto(self, addr, buf, stop=True):
        if addr != _DISPLAY_ADDR:
            raise OSError(5)  # EIO, what the rp2 port raises for an address nobody acknowledges
        _emit(ord("W"), buf, addr)
        return len(buf) + 1

    def readfrom_into(self, addr, buf, stop=True):
        if addr != _DISPLAY_ADDR:
            raise OSError(5)
        # An SSD1306 read returns its status byte; bit 6 set = display off. The emulator does not report it.
        for i in range(len(buf)):
            buf[i] = 0

    def scan(self):
        return [_DISPLAY_ADDR]


_bus = None


def display_bus():
    global _bus
    if _bus is None:
        # Imported here, not at the top: when booting from flash this module is loaded before /flash is mounted
        # and on the import path, and the adapter must be the deployed one.
        from handheld.i2c_bus import I2CBus

        _bus = I2CBus(_EmulatedI2C())
    return _bus


# ---- flash -----------------------------------------------------------------------------------------------------
def _blank_image(path):
    log("flash: creating a blank %d-byte image" % (BLOCK * PICO_BLOCKS))
    block = b"\xff" * BLOCK
    with open(path, "wb") as f:
        for _ in range(PICO_BLOCKS):
            f.write(block)


def _mount_flash():
    path = os.getenv("TOBS_SIM_FLASH") or "flash.img"
    try:
        size = os.stat(path)[6]
    except OSError:
        size = -1
    if size != BLOCK * PICO_BLOCKS:
        _blank_image(path)
    dev = FlashImage(path)
    try:
        os.mount(os.VfsLfs2(dev), _FLASH_MOUNT)
    except OSError as e:
        # What the Pico's _boot.py does too: an unmountable filesystem is formatted, its contents lost.
        log("flash: mount failed (%s), formatting" % e)
        os.VfsLfs2.mkfs(dev)
        os.mount(os.VfsLfs2(dev), _FLASH_MOUNT)


_mount_flash()


def storage_root() -> str:
    return _FLASH_MOUNT


# ---- identity and serial ---------------------------------------------------------------------------------------
def unique_id() -> bytes:
    uid = os.getenv("TOBS_SIM_UID") or "e6605481db123456"
    if len(uid) != 16:
        raise ValueError("TOBS_SIM_UID must be 16 hex digits")
    return bytes(int(uid[i : i + 2], 16) for i in range(0, 16, 2))


def serial():
    return sys.stdin.buffer, sys.stdout.buffer


def kbd_intr(enabled: bool) -> None:
    """Turn the Pico's Ctrl-C on the serial port on or off: micropython.kbd_intr(3 if enabled else -1)."""
    _set_interrupt_char(3 if enabled else -1)


def _set_interrupt_char(ch):
    # On the Pico, a 0x03 arriving on USB serial raises KeyboardInterrupt unless micropython.kbd_intr(-1).
    # Here the host gives this process a pty with ISIG on and VINTR = 0x03: the terminal raises SIGINT, and the
    # unix port turns that into KeyboardInterrupt, the same failure a binary protocol would meet on the device.
    # Switching it off must clear the terminal's ISIG as well, or the unix port's default SIGINT action would
    # kill the process where the Pico just passes the byte on.
    micropython.kbd_intr(ch)
    try:
        import termios

        attrs = termios.tcgetattr(0)
    except OSError as e:
        log("kbd_intr: serial is not a terminal (%s); nothing to emulate" % e)
        return
    if ch not in (-1, 3):
        log("kbd_intr(%d): only 3 (Ctrl-C) is emulated; treated as off" % ch)
    lflag = attrs[_LFLAG]
    attrs[_LFLAG] = (lflag | _ISIG) if ch == 3 else (lflag & ~_ISIG)
    termios.tcsetattr(0, termios.TCSANOW, attrs)


class _MicropythonModule:
    """Stands in for the micropython module so the app's own micropython.kbd_intr() call is emulated too;
    everything else is the real module's."""

    def __getattr__(self, name):
        return getattr(micropython, name)

    def kbd_intr(self, ch):
        _set_interrupt_char(ch)


class _MachineModule:
    """Stands in for the unix port's machine module with the Pico's reset(): the process ends and the host's
    VirtualPico (booting from flash) starts it again, as a Pico reboots. `mpremote reset` relies on this."""

    def __getattr__(self, name):
        return getattr(machine, name)

    def reset(self):
        log("machine.reset()")
        sys.exit(0)


# main.py imports this board before the app, so every later `import micropython` gets the stand-in; the same
# goes for `import machine` at the REPL after the app has left.
sys.modules["micropython"] = _MicropythonModule()
sys.modules["machine"] = _MachineModule()
