# DS3231 battery-backed real-time clock on the display's I2C bus: keeps the wall clock through power loss, so
# records carry real time even when the handheld has not been synced since its battery ran flat.
ADDRESS = 0x68
_TIME_REG = 0x00  # seconds, minutes, hours, weekday, day, month, year: BCD, 7 bytes
_STATUS_REG = 0x0F
_OSF = 0x80  # oscillator stop flag: the clock stopped at some point, so its time is not to be trusted
_DAYS_BEFORE_MONTH = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def _bcd(b):
    return (b >> 4) * 10 + (b & 0x0F)


def _to_bcd(n):
    return ((n // 10) << 4) | (n % 10)


def _is_leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def to_unix(year, month, day, hours, minutes, seconds):
    """Unix seconds for a UTC date and time, computed here because MicroPython's epoch depends on the port."""
    days = (year - 1970) * 365 + (year - 1969) // 4 - (year - 1901) // 100 + (year - 1601) // 400
    days += _DAYS_BEFORE_MONTH[month - 1] + day - 1
    if month > 2 and _is_leap(year):
        days += 1
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def from_unix(t):
    """(year, month, day, hours, minutes, seconds, weekday 0=Monday) for Unix seconds, UTC."""
    days, rest = divmod(t, 86400)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    year = 1970
    while True:
        n = 366 if _is_leap(year) else 365
        if days < n:
            break
        days -= n
        year += 1
    month = 12
    while month > 1:
        start = _DAYS_BEFORE_MONTH[month - 1] + (1 if month > 2 and _is_leap(year) else 0)
        if days >= start:
            break
        month -= 1
    day = days - (_DAYS_BEFORE_MONTH[month - 1] + (1 if month > 2 and _is_leap(year) else 0)) + 1
    return year, month, day, rest // 3600, rest // 60 % 60, rest % 60, weekday


class DS3231:
    """`i2c` is a machine.I2C-style bus (readfrom_mem_into, writeto_mem); times are UTC Unix seconds."""

    def __init__(self, i2c, addr=ADDRESS):
        self.i2c = i2c
        self.addr = addr
        self._buf = bytearray(7)
        self._one = bytearray(1)

    @staticmethod
    def present(i2c, addr=ADDRESS):
        """True if something acknowledges the DS3231's address on the bus."""
        return addr in i2c.scan()

    def read(self):
        b = self._buf
        self.i2c.readfrom_mem_into(self.addr, _TIME_REG, b)
        hours = b[2]
        if hours & 0x40:  # 12-hour mode (set by some other tool): bit 5 is PM
            hour = _bcd(hours & 0x1F) % 12 + (12 if hours & 0x20 else 0)
        else:
            hour = _bcd(hours & 0x3F)
        # Bit 7 of the month register is the century flag: years 2100-2199.
        year = 2000 + _bcd(b[6]) + (100 if b[5] & 0x80 else 0)
        return to_unix(year, _bcd(b[5] & 0x1F), _bcd(b[4] & 0x3F), hour, _bcd(b[1] & 0x7F), _bcd(b[0] & 0x7F))

    def set(self, unix_s):
        """Set the time (24-hour mode) and clear the oscillator stop flag: the time is valid from now on."""
        year, month, day, hours, minutes, seconds, weekday = from_unix(unix_s)
        if not 2000 <= year < 2200:
            raise ValueError("the DS3231 holds years 2000-2199")
        b = self._buf
        b[0], b[1], b[2] = _to_bcd(seconds), _to_bcd(minutes), _to_bcd(hours)
        b[3] = weekday + 1  # the DS3231 counts days 1-7
        b[4] = _to_bcd(day)
        b[5] = _to_bcd(month) | (0x80 if year >= 2100 else 0)
        b[6] = _to_bcd(year % 100)
        self.i2c.writeto_mem(self.addr, _TIME_REG, b)
        one = self._one
        self.i2c.readfrom_mem_into(self.addr, _STATUS_REG, one)
        one[0] &= ~_OSF & 0xFF
        self.i2c.writeto_mem(self.addr, _STATUS_REG, one)

    def valid(self):
        """False when the oscillator has stopped since the time was last set (battery flat or never set)."""
        one = self._one
        self.i2c.readfrom_mem_into(self.addr, _STATUS_REG, one)
        return not one[0] & _OSF
