# Turns raw keypad scans into key presses: one event per press, after the contacts have settled.
# Board-independent so the same logic is tested on both runtimes; board_pico feeds it matrix scans.

# The 4x4 membrane keypad's legend, row by row (rows are driven, columns are read).
LAYOUT = ("123A", "456B", "789C", "*0#D")


class Debouncer:
    """Feed it what the matrix reads now (a key, or None for nothing/ambiguous) and the time; it returns a key
    once per press: when the same single key has been seen continuously for settle_ms. Holding a key does not
    repeat, and a bounce (the reading flickering) restarts the settle time instead of producing a second press."""

    def __init__(self, settle_ms=20):
        self.settle_ms = settle_ms
        self._candidate = None
        self._since = 0
        self._reported = False

    def update(self, raw, now_ms, ticks_diff=None):
        diff = ticks_diff(now_ms, self._since) if ticks_diff else now_ms - self._since
        if raw != self._candidate:
            self._candidate = raw
            self._since = now_ms
            self._reported = False
            return None
        if raw is None or self._reported or diff < self.settle_ms:
            return None
        self._reported = True
        return raw


def decode_scan(pressed):
    """The key for a scan given as a list of (row, col) contacts closed; None for none or several at once
    (several keys would be ambiguous on a matrix without diodes, so none of them is believed)."""
    if len(pressed) != 1:
        return None
    row, col = pressed[0]
    return LAYOUT[row][col]
