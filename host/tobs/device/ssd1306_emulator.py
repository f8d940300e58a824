"""An SSD1306 (128x64, I2C) emulated from the bytes the firmware writes: command stream and GDDRAM data in,
a picture out (PNG, terminal art) and the text on it read back cell by cell for tests."""

from __future__ import annotations

import functools
import runpy
from pathlib import Path

from tobs import firmware

WIDTH = 128
HEIGHT = 64
PAGES = 8
COLS = 16
ROWS = 8
ADDRESS = 0x3C

HORIZONTAL, VERTICAL, PAGE = 0, 1, 2

# Argument bytes that follow each multi-byte command (every other command is a single byte).
ARGUMENTS = {
    0x20: 1,  # memory addressing mode
    0x21: 2,  # column address window
    0x22: 2,  # page address window
    0x26: 6,  # right horizontal scroll setup
    0x27: 6,  # left horizontal scroll setup
    0x29: 5,  # vertical and right horizontal scroll setup
    0x2A: 5,  # vertical and left horizontal scroll setup
    0x81: 1,  # contrast
    0x8D: 1,  # charge pump
    0xA3: 2,  # vertical scroll area
    0xA8: 1,  # multiplex ratio
    0xAD: 1,  # internal IREF select (newer SSD1306 parts; the driver sends it)
    0xD3: 1,  # display offset
    0xD5: 1,  # display clock divide / oscillator frequency
    0xD9: 1,  # pre-charge period
    0xDA: 1,  # COM pins hardware configuration
    0xDB: 1,  # VCOMH deselect level
}

# Quadrant block for 2x2 pixels, indexed by top-left | top-right << 1 | bottom-left << 2 | bottom-right << 3.
_QUADRANTS = " \u2598\u259d\u2580\u2596\u258c\u259e\u259b\u2597\u259a\u2590\u259c\u2584\u2599\u259f\u2588"

def _font_file() -> str:
    return str(firmware.tree() / "lib" / "handheld" / "font.py")


@functools.cache
def builtin_font() -> dict[str, bytes]:
    """MicroPython's built-in 8x8 font as the firmware draws it, taken from the interpreter once per process."""
    glyphs = {}
    words = firmware.run_on_unix_port("font_dump").split()
    for code, hexbytes in zip(words[::2], words[1::2], strict=True):
        glyphs[chr(int(code))] = bytes.fromhex(hexbytes)
    if len(glyphs) != 95:
        raise RuntimeError("micropython rendered %d glyphs, expected 95" % len(glyphs))
    return glyphs


@functools.cache
def firmware_font(path: str | None = None) -> dict[str, bytes]:
    """The extra glyphs from the firmware's handheld/font.py (plain data, so CPython can run the file)."""
    ns = runpy.run_path(path or _font_file())
    chars, data = ns["CHARS"], ns["DATA"]
    return {ch: bytes(data[i * 8 : i * 8 + 8]) for i, ch in enumerate(chars)}


@functools.cache
def glyph_table(font_path: str | None = None) -> dict[bytes, str]:
    """Cell bytes -> character, for both fonts; the first character wins if two glyphs look alike."""
    table: dict[bytes, str] = {}
    for ch, cell in list(builtin_font().items()) + list(firmware_font(font_path).items()):
        table.setdefault(cell, ch)
    return table


def _invert(cell: bytes) -> bytes:
    return bytes(b ^ 0xFF for b in cell)


def _halve(block: list[int]) -> bytes | None:
    """A 16x16 block given as 32 column bytes (16 upper-page, 16 lower-page) as an 8x8 cell, if every pixel
    is doubled in both directions (how Display.big draws), else None."""
    top, bottom = block[:16], block[16:]
    cell = bytearray(8)
    for k in range(8):
        a, b = top[2 * k], bottom[2 * k]
        if a != top[2 * k + 1] or b != bottom[2 * k + 1]:
            return None
        column = a | (b << 8)
        value = 0
        for bit in range(8):
            pair = (column >> (2 * bit)) & 3
            if pair == 3:
                value |= 1 << bit
            elif pair:
                return None
        cell[k] = value
    return bytes(cell)


class SSD1306Emulator:
    """Feed it I2C writes (`write(addr, payload)`); read the panel back as pixels, PNG, art or text."""

    def __init__(self, font_path: str | Path | None = None):
        self.font_path = str(font_path) if font_path is not None else None
        self.gddram = bytearray(WIDTH * PAGES)
        # Power-on reset state (datasheet): page addressing, full windows, display off, no remap.
        self.mode = PAGE
        self.col_start, self.col_end = 0, WIDTH - 1
        self.page_start, self.page_end = 0, PAGES - 1
        self.page_col_start = 0
        self.col = 0
        self.page = 0
        self.display_on = False
        self.inverse = False
        self.entire_on = False
        self.contrast = 0x7F
        self.start_line = 0
        self.offset = 0
        self.multiplex = HEIGHT - 1
        self.seg_remap = False
        self.com_reverse = False
        self.charge_pump = False
        self.settings: dict[int, tuple[int, ...]] = {}
        self.unknown_commands: list[int] = []
        self._pending: list[int] = []  # a multi-byte command whose arguments have not all arrived yet
        self._needed = 0
        # Counters: bytes on the bus after the address byte, per kind.
        self.writes = 0
        self.bytes_received = 0
        self.control_bytes = 0
        self.command_bytes = 0
        self.data_bytes = 0
        self.ignored_writes = 0
        self.version = 0  # bumped whenever GDDRAM or the way it is shown changes

    # ---- input ------------------------------------------------------------------------------------------------
    def write(self, addr: int, payload: bytes) -> None:
        """One I2C write transaction to addr: control byte(s), then commands or data."""
        if addr != ADDRESS:
            self.ignored_writes += 1
            return
        self.writes += 1
        self.bytes_received += len(payload)
        i, n = 0, len(payload)
        while i < n:
            control = payload[i]
            self.control_bytes += 1
            i += 1
            single = control & 0x80  # Co=1: one byte follows, then another control byte
            is_data = control & 0x40
            stop = min(n, i + 1) if single else n
            if is_data:
                self._data(payload[i:stop])
            else:
                for byte in payload[i:stop]:
                    self._command_byte(byte)
            i = stop

    def _command_byte(self, byte: int) -> None:
        self.command_bytes += 1
        if self._needed:
            self._pending.append(byte)
            self._needed -= 1
            if not self._needed:
                self._execute(self._pending[0], self._pending[1:])
            return
        needed = ARGUMENTS.get(byte, 0)
        if needed:
            self._pending = [byte]
            self._needed = needed
        else:
            self._execute(byte, [])

    def _execute(self, op: int, args: list[int]) -> None:
        before = (self.display_on, self.inverse, self.entire_on, self.start_line, self.seg_remap, self.com_reverse)
        if op == 0x20:
            self.mode = args[0] & 3 if args[0] & 3 != 3 else PAGE  # 3 is invalid; the chip treats it as page mode
        elif op == 0x21:
            self.col_start, self.col_end = args[0] & 0x7F, args[1] & 0x7F
            self.col = self.col_start
        elif op == 0x22:
            self.page_start, self.page_end = args[0] & 7, args[1] & 7
            self.page = self.page_start
        elif op <= 0x0F:  # page mode: lower nibble of the column start
            self.page_col_start = (self.page_col_start & 0xF0) | op
            self.col = self.page_col_start
        elif op <= 0x1F:  # page mode: upper nibble
            self.page_col_start = (self.page_col_start & 0x0F) | ((op & 0x07) << 4)
            self.col = self.page_col_start
        elif 0xB0 <= op <= 0xB7:
            self.page = op & 7
        elif 0x40 <= op <= 0x7F:
            self.start_line = op & 0x3F
        elif op == 0x81:
            self.contrast = args[0]
        elif op == 0x8D:
            self.charge_pump = bool(args[0] & 0x04)
        elif op in (0xA0, 0xA1):
            self.seg_remap = op == 0xA1
        elif op in (0xA4, 0xA5):
            self.entire_on = op == 0xA5
        elif op in (0xA6, 0xA7):
            self.inverse = op == 0xA7
        elif op == 0xA8:
            self.multiplex = args[0] & 0x3F
        elif op in (0xAE, 0xAF):
            self.display_on = op == 0xAF
        elif op in (0xC0, 0xC8):
            self.com_reverse = op == 0xC8
        elif op == 0xD3:
            self.offset = args[0] & 0x3F
        elif op in ARGUMENTS or op in (0x2E, 0x2F, 0xE3):
            self.settings[op] = tuple(args)  # timing, scrolling and NOP: no effect on the still picture
        else:
            self.unknown_commands.append(op)
        after = (self.display_on, self.inverse, self.entire_on, self.start_line, self.seg_remap, self.com_reverse)
        if after != before:
            self.version += 1

    def _data(self, data: bytes) -> None:
        self.data_bytes += len(data)
        if not data:
            return
        self.version += 1
        ram = self.gddram
        i, n = 0, len(data)
        while i < n:
            if self.mode == VERTICAL:
                ram[self.page * WIDTH + self.col] = data[i]
                i += 1
                self.page += 1
                if self.page > self.page_end:
                    self.page = self.page_start
                    self.col = self.col + 1 if self.col < self.col_end else self.col_start
                continue
            # Horizontal and page mode: a run along the page up to the window's (or the panel's) last column.
            end = self.col_end if self.mode == HORIZONTAL else WIDTH - 1
            run = min(n - i, end - self.col + 1)
            if run <= 0:  # column pointer outside the window: the chip still writes and moves on
                run = 1
            base = self.page * WIDTH + self.col
            ram[base : base + run] = data[i : i + run]
            i += run
            self.col += run
            if self.col > end:
                if self.mode == HORIZONTAL:
                    self.col = self.col_start
                    self.page = self.page + 1 if self.page < self.page_end else self.page_start
                else:
                    self.col = self.page_col_start  # page mode stays on its page

    # ---- output -----------------------------------------------------------------------------------------------
    def frame(self) -> bytes:
        """What the panel shows, as 1,024 MONO_VLSB bytes in the firmware's frame-buffer order (page-major,
        column bytes, bit 0 = top), so it compares directly with the firmware's buffer."""
        ram = bytes(self.gddram)
        if not self.display_on:
            return bytes(WIDTH * PAGES)
        if self.entire_on:
            return b"\xff" * (WIDTH * PAGES)
        if self.seg_remap and self.com_reverse and self.start_line == 0 and self.offset == 0:
            shown = ram  # the driver's orientation: RAM appears as drawn
        else:
            shown = self._remap(ram)
        if self.inverse:
            shown = bytes(b ^ 0xFF for b in shown)
        return shown

    def _remap(self, ram: bytes) -> bytes:
        out = bytearray(WIDTH * PAGES)
        for y in range(HEIGHT):
            row = (y if self.com_reverse else HEIGHT - 1 - y) + self.start_line + self.offset
            row %= HEIGHT
            src_page, src_bit = divmod(row, 8)
            for x in range(WIDTH):
                col = x if self.seg_remap else WIDTH - 1 - x
                if ram[src_page * WIDTH + col] >> src_bit & 1:
                    out[(y >> 3) * WIDTH + x] |= 1 << (y & 7)
        return bytes(out)

    def pixels(self) -> list[list[int]]:
        """64 rows of 128 values, 1 = lit."""
        f = self.frame()
        return [[f[(y >> 3) * WIDTH + x] >> (y & 7) & 1 for x in range(WIDTH)] for y in range(HEIGHT)]

    def image(self, scale: int = 1):
        from PIL import Image

        img = Image.new("1", (WIDTH, HEIGHT))
        img.putdata([v for row in self.pixels() for v in row])
        if scale != 1:
            img = img.resize((WIDTH * scale, HEIGHT * scale), Image.NEAREST)
        return img

    def png(self, path: str | Path, scale: int = 4) -> Path:
        """Save the screen as a PNG (lit pixels in the panel's light blue on black, scaled up)."""
        from PIL import Image

        mono = self.image(scale)
        rgb = Image.new("RGB", mono.size, (0, 0, 0))
        rgb.paste((120, 200, 255), mask=mono.convert("L"))
        path = Path(path)
        rgb.save(path)
        return path

    def art(self, compact: bool = False) -> str:
        """The screen as text: 32 lines of 128 half blocks (two pixel rows per character), or with compact
        32 lines of 64 quadrant blocks (2x2 pixels per character) for narrow terminals."""
        rows = self.pixels()
        if compact:
            return "\n".join(
                "".join(
                    _QUADRANTS[rows[y][x] | rows[y][x + 1] << 1 | rows[y + 1][x] << 2 | rows[y + 1][x + 1] << 3]
                    for x in range(0, WIDTH, 2)
                )
                for y in range(0, HEIGHT, 2)
            )
        halves = {(0, 0): " ", (1, 0): "\u2580", (0, 1): "\u2584", (1, 1): "\u2588"}
        return "\n".join("".join(halves[rows[y][x], rows[y + 1][x]] for x in range(WIDTH)) for y in range(0, HEIGHT, 2))

    def cell(self, row: int, col: int, frame: bytes | None = None) -> bytes:
        f = self.frame() if frame is None else frame
        start = row * WIDTH + col * 8
        return f[start : start + 8]

    def cells(self) -> list[list[tuple[str, bool]]]:
        """Each 8x8 cell read back as (character, inverse); '?' for a glyph the firmware's fonts do not have."""
        table = glyph_table(self.font_path)
        f = self.frame()
        result = []
        for row in range(ROWS):
            line = []
            for col in range(COLS):
                cell = self.cell(row, col, f)
                if cell in table:
                    line.append((table[cell], False))
                elif _invert(cell) in table:
                    line.append((table[_invert(cell)], True))
                else:
                    line.append(("?", False))
            result.append(line)
        return result

    def text_lines(self) -> list[str]:
        """8 strings of 16 characters: the screen's text cells."""
        return ["".join(ch for ch, _ in line) for line in self.cells()]

    def text(self) -> str:
        """The text lines without trailing blanks, and without blank lines at the end."""
        return "\n".join(line.rstrip() for line in self.text_lines()).rstrip("\n")

    def inverted_rows(self) -> list[int]:
        """Rows shown as an inverse bar: every cell of the row reads as an inverse glyph (a lit cell = space)."""
        return [r for r, line in enumerate(self.cells()) if all(inv and ch != "?" for ch, inv in line)]

    def big_text(self, inverse: bool | None = None) -> str:
        """Double-size characters (Display.big), in reading order; cells that read as normal text are skipped.
        inverse=True gives only the inverse ones (a value selected for overwrite), False only the plain ones."""
        table = glyph_table(self.font_path)
        f = self.frame()
        found = []
        taken: set[tuple[int, int]] = set()
        for row in range(ROWS - 1):
            for col in range(COLS - 1):
                if (row, col) in taken:
                    continue
                upper = self.cell(row, col, f) + self.cell(row, col + 1, f)
                lower = self.cell(row + 1, col, f) + self.cell(row + 1, col + 1, f)
                block = list(upper) + list(lower)
                for is_inverse in (False, True):
                    small = _halve([b ^ 0xFF for b in block] if is_inverse else block)
                    if small is not None and small in table and table[small] != " ":
                        break
                else:
                    continue
                taken.update({(row, col), (row, col + 1), (row + 1, col), (row + 1, col + 1)})
                if inverse is None or inverse == is_inverse:
                    found.append(table[small])
        return "".join(found)
