# The TOBS score chart (Tidlig Opsporing af Begyndende Sygdom): the fixed core shared by every
# handheld and the central register. Pure Python for MicroPython >= 1.22 and CPython >= 3.10; no I/O.
#
# This is the only file that holds the chart's numbers. Everything a site may vary (action guidance,
# contacts, reminders, staff) lives in site configuration, never here. Decision support, not diagnosis.

try:
    from hashlib import sha256
except ImportError:  # pragma: no cover - very small MicroPython builds name it uhashlib
    from uhashlib import sha256  # type: ignore

# Bands are closed intervals (lo, hi, points) of whole numbers; None is an open end. Temperature is
# in tenths of a degree Celsius so that 35.9 / 36.0 / 37.9 / 38.0 compare exactly. The two gaps in
# the printed charts are closed as the specification resolves them: pulse <= 39 scores 2 and
# respiration >= 25 scores 3. Systolic BP >= 200 scores 2, not 3.
BANDS = (
    ("pulse", ((None, 39, 2), (40, 49, 1), (50, 89, 0), (90, 109, 1), (110, 129, 2), (130, None, 3))),
    ("resp", ((None, 8, 3), (9, 11, 1), (12, 20, 0), (21, 24, 2), (25, None, 3))),
    ("temp", ((None, 339, 3), (340, 359, 2), (360, 379, 0), (380, 389, 1), (390, 399, 2), (400, None, 3))),
    ("sys_bp", ((None, 69, 3), (70, 79, 2), (80, 99, 1), (100, 199, 0), (200, None, 2))),
)

# Awareness is one choice; the order is the order of the menu on the device (keys 1-5).
AWARENESS = (("habitual", 0), ("agitated", 1), ("voice", 1), ("pain", 2), ("unresponsive", 3))

# Temperature site -> tenths added to the reading to get the rectal-equivalent value that is scored.
TEMP_SITES = (("rectal", 0), ("oral", 5), ("axillary", 10))

# A non-rectal reading whose corrected value falls outside this closed range is not scored:
# the chart wants a rectal measurement there.
RECTAL_RANGE = (360, 400)

# Not part of the chart: a safety net against typing errors (temperature is rectal-equivalent).
PLAUSIBLE = (("pulse", 20, 250), ("resp", 3, 70), ("temp", 250, 450), ("sys_bp", 40, 300))

PARAMETERS = ("pulse", "resp", "temp", "sys_bp", "awareness")
MAX_TOTAL = 15


def fingerprint(bands, awareness, temp_sites, rectal_range):
    """Eight hex digits derived from every table that decides a score: a changed band changes it."""
    text = "TOBS;%r;%r;%r;%r" % (bands, awareness, temp_sites, rectal_range)
    return "".join("%02x" % b for b in sha256(text.encode()).digest()[:4])


CORE_ID = fingerprint(BANDS, AWARENESS, TEMP_SITES, RECTAL_RANGE)

class VitalError(ValueError):
    """A value that cannot be scored; .field names the parameter, .reason (a code: range, whole, tenths, number,
    code, rectal) says why, .lo/.hi are the limits that apply (tenths for temperature)."""

    def __init__(self, field, reason, lo=None, hi=None):
        self.field = field
        self.reason = reason
        self.lo = lo
        self.hi = hi
        # Words for it are in tobs_labels (message()): this file holds the chart's numbers and reason codes only.
        super().__init__("%s: %s" % (field, reason))


class RectalRequired(VitalError):
    """A non-rectal temperature whose corrected value is outside 36.0-40.0: measure rectally."""


def _is_number(value):
    return (isinstance(value, int) or isinstance(value, float)) and not isinstance(value, bool)


def _whole(field, value):
    if not _is_number(value):
        raise VitalError(field, "number")
    if isinstance(value, float):
        # Comparisons with NaN are false, so NaN and the infinities fail this range check too.
        if not (-1e9 < value < 1e9) or value != int(value):
            raise VitalError(field, "whole")
        value = int(value)
    return value


def temp_tenths(value):
    """A temperature in °C (int or float with at most one decimal) as integer tenths."""
    if not _is_number(value):
        raise VitalError("temp", "number")
    if not (-1e6 < value < 1e6):
        raise VitalError("temp", "tenths")
    tenths = round(value * 10)
    if abs(value * 10 - tenths) > 1e-6:
        raise VitalError("temp", "tenths")
    return int(tenths)


def _lookup(table, key, field):
    for name, value in table:
        if name == key:
            return value
    raise VitalError(field, "code")


def _plausible(field, value):
    for name, lo, hi in PLAUSIBLE:
        if name == field and not lo <= value <= hi:
            raise VitalError(field, "range", lo, hi)


def band_points(field, value):
    """Points for a whole-number value (temperature in rectal-equivalent tenths) on the chart."""
    for name, bands in BANDS:
        if name == field:
            for lo, hi, points in bands:
                if (lo is None or value >= lo) and (hi is None or value <= hi):
                    return points
    raise VitalError(field, "code")


def corrected_temp(value, temp_site="rectal"):
    """Rectal-equivalent tenths for a reading at a site; raises VitalError / RectalRequired."""
    if not isinstance(temp_site, str):
        raise VitalError("temp_site", "code")
    offset = _lookup(TEMP_SITES, temp_site, "temp_site")
    tenths = temp_tenths(value) + offset
    _plausible("temp", tenths)
    lo, hi = RECTAL_RANGE
    if offset and not lo <= tenths <= hi:
        raise RectalRequired("temp", "rectal", lo, hi)
    return tenths


def points_for(field, value, temp_site="rectal"):
    """Validate one parameter and return its points; lets the UI check each field as it is typed."""
    if field == "awareness":
        if not isinstance(value, str):
            raise VitalError("awareness", "code")
        return _lookup(AWARENESS, value, "awareness")
    if field == "temp":
        return band_points("temp", corrected_temp(value, temp_site))
    value = _whole(field, value)
    _plausible(field, value)
    return band_points(field, value)


class Score:
    """The result: .points per parameter, .total 0-15, .temp_scored (rectal-equivalent °C)."""

    def __init__(self, points, temp_scored_tenths):
        self.points = points
        self.total = sum(points.values())
        self.temp_scored_tenths = temp_scored_tenths
        self.temp_scored = temp_scored_tenths / 10

    @property
    def any_three(self):
        """True when a single parameter scores 3, which sites commonly escalate regardless of total."""
        return 3 in self.points.values()

    def __repr__(self):
        return "Score(total=%d, points=%r, temp_scored=%s)" % (self.total, self.points, self.temp_scored)


def score(pulse, resp, temp, sys_bp, awareness, temp_site="rectal"):
    """Score one observation set; raises VitalError (or RectalRequired) naming the first bad field."""
    # Fields are checked in the order the nurse enters them, so the first error named is the first field.
    points = {"pulse": points_for("pulse", pulse), "resp": points_for("resp", resp)}
    tenths = corrected_temp(temp, temp_site)
    points["temp"] = band_points("temp", tenths)
    points["sys_bp"] = points_for("sys_bp", sys_bp)
    points["awareness"] = points_for("awareness", awareness)
    return Score(points, tenths)
