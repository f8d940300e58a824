# The clock as a nurse reads it: Danish local time (Europe/Copenhagen, summer time included) from the device's Unix
# seconds, computed here so that it depends neither on the port's time epoch nor on a time zone database the device
# lacks. Loaded only to draw a time (handheld.once): the status screen and the saved screen.


def _civil(days):
    """(year, month, day) of a day counted from 1970-01-01 (proleptic Gregorian, eras of 400 years)."""
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if month <= 2 else 0), month, day


def _day_number(year, month, day):
    """The inverse of _civil."""
    year -= 1 if month <= 2 else 0
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _last_sunday(year, month):
    # Of March or October (31 days each); day 0, 1970-01-01, was a Thursday.
    last = _day_number(year, month, 31)
    return last - (last + 4) % 7


def copenhagen_offset(unix_s):
    """Seconds Danish time is ahead of UTC at that moment: 3600 (CET), or 7200 (CEST) from the last Sunday of March
    01:00 UTC until the last Sunday of October 01:00 UTC: the EU's summer time rule, in force since 1996."""
    year = _civil(unix_s // 86400)[0]
    start = _last_sunday(year, 3) * 86400 + 3600
    end = _last_sunday(year, 10) * 86400 + 3600
    return 7200 if start <= unix_s < end else 3600


def _stamp(unix_s):
    days, secs = divmod(unix_s, 86400)
    year, month, day = _civil(days)
    return "%04d-%02d-%02d %02d:%02d" % (year, month, day, secs // 3600, secs % 3600 // 60)


def utc(unix_s):
    """'2026-11-22 14:30' in UTC."""
    return _stamp(unix_s)


def local(unix_s):
    """'2026-11-22 15:30' in Danish local time (Europe/Copenhagen), summer time included."""
    return _stamp(unix_s + copenhagen_offset(unix_s))


def clock(unix_s):
    """'15:30', Danish local time."""
    return local(unix_s)[11:]
