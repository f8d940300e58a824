# Small fakes for the screen-flow tests on both runtimes: a text-grid display with the Display API that
# records anything the real one would clip or could not draw (and a leaner one for many thousands of keys), and a
# board whose clock the test moves.

from scratch_support import REPO, exists, remove_tree, scratch  # noqa: F401  (the flow tests take them from here)

from handheld import font, siteconfig_load
from handheld.flow import Flow
from handheld.reminders import Reminders
from handheld.store import RecordStore

DEFAULT_CONFIG = REPO + "firmware/site_default.json"
PLENTY = 1 << 30
# What the firmware draws: the built-in font's printable ASCII and font.py's extra glyphs.
GLYPHS = "".join(chr(c) for c in range(32, 127)) + font.CHARS


class GridDisplay:
    """16x8 character cells; big() text takes 2x2 cells per character. .problems lists clipped or undrawable text."""

    COLS = 16
    ROWS = 8

    def __init__(self):
        self.problems = []
        self.flushes = 0
        self.clear()

    def clear(self):
        self.cells = [[" "] * self.COLS for _ in range(self.ROWS)]
        self.inverse = [[False] * self.COLS for _ in range(self.ROWS)]
        self.bigs = []
        self.selected = []  # big text drawn inverse: a value the next key replaces

    def _check(self, s, col, row, width):
        if not (0 <= row < self.ROWS and 0 <= col):
            self.problems.append("off screen at %d,%d: %r" % (col, row, s))
        if col + width * len(s) > self.COLS:
            self.problems.append("clipped: %r" % s)
        for c in s:
            if c not in GLYPHS:
                self.problems.append("no glyph for %r in %r" % (c, s))

    def text(self, s, col, row, inverse=False):
        self._check(s, col, row, 1)
        for i, c in enumerate(s):
            if 0 <= col + i < self.COLS and 0 <= row < self.ROWS:
                self.cells[row][col + i] = c
                self.inverse[row][col + i] = inverse

    def row(self, row, s, inverse=False):
        self.cells[row] = [" "] * self.COLS
        self.inverse[row] = [inverse] * self.COLS
        self.text(s, 0, row, inverse)

    def big(self, s, col, row, inverse=False):
        self._check(s, col, row, 2)
        if row + 1 >= self.ROWS:
            self.problems.append("big text off the bottom: %r" % s)
        self.bigs.append(s)
        if inverse:
            self.selected.append(s)
        for i, c in enumerate(s):
            x = col + 2 * i
            if x < self.COLS:
                self.cells[row][x] = c

    def flush(self):
        self.flushes += 1
        return 0

    def power(self, on):
        return None

    def lines(self):
        return ["".join(r).rstrip() for r in self.cells]

    def screen(self):
        return "\n".join(self.lines())

    def shows(self, s):
        return s in self.screen() or s in self.bigs

    def inverse_rows(self):
        return [r for r in range(self.ROWS) if self.inverse[r][0]]


class RowDisplay:
    """The Display API as 8 row strings, for the random key sequences: the same fit checks as GridDisplay (off the
    screen, clipped, a character the firmware has no glyph for) at a fraction of its cost per key."""

    COLS = 16
    ROWS = 8

    def __init__(self):
        self.problems = []
        self.glyphs = set(GLYPHS)
        self.drawable = set()  # strings whose every character has a glyph
        self.clear()

    def clear(self):
        self.rows = [""] * self.ROWS
        self.bigs = []

    def _check(self, s, col, row, width):
        if not (0 <= row < self.ROWS and 0 <= col and col + width * len(s) <= self.COLS):
            self.problems.append("clipped or off screen at %d,%d: %r" % (col, row, s))
        if s in self.drawable:
            return
        for c in s:
            if c not in self.glyphs:
                self.problems.append("no glyph for %r in %r" % (c, s))
                return
        self.drawable.add(s)

    def text(self, s, col, row, inverse=False):
        self._check(s, col, row, 1)
        line = self.rows[row]
        if len(line) < col:
            line += " " * (col - len(line))
        self.rows[row] = line[:col] + s + line[col + len(s):]

    def row(self, row, s, inverse=False):
        self._check(s, 0, row, 1)
        self.rows[row] = s

    def big(self, s, col, row, inverse=False):
        self._check(s, col, row + 1, 2)
        self.bigs.append(s)

    def flush(self):
        return 0

    def power(self, on):
        return None

    def lines(self):
        return [line.rstrip() for line in self.rows]


class FakeBoard:
    """ticks_ms and the wall clock move together when the test calls advance()."""

    NAME = "fake"

    def __init__(self, unix=1790000000, valid=True):
        self.ms = 1000
        self.unix = unix
        self.valid = valid
        self.uid = b"\xe6\x61\x41\x03\x2b\x4f\x58\x26"
        self.logs = []

    def ticks_ms(self):
        return self.ms

    def now(self):
        return self.unix + self.ms // 1000

    def clock_valid(self):
        return self.valid

    def unique_id(self):
        return self.uid

    def log(self, msg):
        self.logs.append(msg)

    def advance(self, ms):
        self.ms += ms


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Rig:
    """A Flow on a GridDisplay, a FakeBoard, the real RecordStore in a scratch folder and a site config.
    `free` is the free flash the store sees (set it low to fill the store)."""

    def __init__(self, name, site_json=None, in_memory=False, display=GridDisplay):
        self.root = scratch(name, in_memory)
        if site_json is not None:
            write(self.root + "/site.json", site_json)
        self.free = PLENTY
        self.board = FakeBoard()
        self.disp = display()
        self.store = RecordStore(self.root, free_bytes=lambda: self.free)
        self.site = siteconfig_load.load(self.root, DEFAULT_CONFIG)
        self.reminders = Reminders(self.root, self.site).open(self.store)
        self.reports = 0
        self.flow = Flow(self.disp, self.store, self.site, self.board, self.reminders,
                         free_bytes=lambda: 1441792, on_report=self._report)

    def _report(self):
        self.reports += 1
        return "Heap 42 kB"

    def keys(self, keys):
        for k in keys:
            self.flow.key(k)
        return self

    def records(self):
        return list(self.store.records())

    def done(self):
        """Every screen drawn fitted the display; removes the scratch folder."""
        assert not self.disp.problems, self.disp.problems
        remove_tree(self.root)
