# The OLED as 16x8 text cells of 8x8 pixels on top of the adafruit_ssd1306 driver, with the Danish glyphs
# and a flush that sends only the bytes that changed since the panel was last written.
from adafruit_ssd1306 import SSD1306_I2C
from micropython import const

from handheld import font

_WIDTH = const(128)
_PAGES = const(8)
_SET_COL_ADDR = const(0x21)
_SET_PAGE_ADDR = const(0x22)
_DATA_PREFIX = const(0x40)  # I2C control byte: Co=0, D/C=1, every following byte is GDDRAM data
_CMD_BYTES = const(2)  # the driver's write_cmd sends control byte 0x80 and the command, one transaction each
_WINDOW_BYTES = const(12)  # six write_cmd calls: column start/end and page start/end
# 4 bits of a glyph column spread to 8, every pixel doubled, for the double-size digits.
_DOUBLE = b"\x00\x03\x0c\x0f\x30\x33\x3c\x3f\xc0\xc3\xcc\xcf\xf0\xf3\xfc\xff"


class Display:
    COLS = 16
    ROWS = 8

    def __init__(self, bus, addr=0x3C):
        self._drv = SSD1306_I2C(_WIDTH, _PAGES * 8, bus, addr=addr)
        # The driver's buffer: byte 0 is its data control byte, the 1,024 frame bytes follow.
        self._buf = self._drv.buffer
        self._frame = memoryview(self._buf)[1:]
        # What the panel holds, as far as we know; invalid until the first flush sends the whole frame.
        self._shadow = bytearray(_WIDTH * _PAGES)
        self._shadow_mv = memoryview(self._shadow)
        self._spans = bytearray(2 * _PAGES)  # first and last changed column per page; 255 = unchanged
        self._synced = False
        self._cell = bytearray(8)
        self._cell_fb = None  # built on first use of big() for ASCII: most screens never need it

    def clear(self) -> None:
        self._drv.fill(0)

    def text(self, s: str, col: int, row: int, inverse: bool = False) -> None:
        if row < 0 or row >= _PAGES:
            return
        drv = self._drv
        y = row * 8
        fg = 0 if inverse else 1
        for ch in s:
            if col >= 16:
                break
            if col >= 0:
                x = col * 8
                # A cell is replaced, not overprinted: framebuf.text only sets the glyph's own pixels.
                drv.fill_rect(x, y, 8, 8, 1 - fg)
                if ord(ch) < 128:
                    drv.text(ch, x, y, fg)
                else:
                    self._special(ch, row * _WIDTH + x, 0xFF if inverse else 0)
            col += 1

    def row(self, row: int, s: str, inverse: bool = False) -> None:
        if row < 0 or row >= _PAGES:
            return
        self._drv.fill_rect(0, row * 8, _WIDTH, 8, 1 if inverse else 0)
        self.text(s, 0, row, inverse)

    def big(self, s: str, col: int, row: int, inverse: bool = False) -> None:
        """Double-size characters, each 2x2 cells; row is the upper of the two text rows. Inverse marks a value
        that the next key replaces."""
        if row < 0 or row >= _PAGES - 1:
            return
        frame = self._frame
        cell = self._cell
        mask = 0xFF if inverse else 0
        for ch in s:
            if col + 2 > 16:
                break
            if col >= 0:
                self._render(ch, cell)
                top = row * _WIDTH + col * 8
                for k in range(8):
                    b = cell[k]
                    lo = _DOUBLE[b & 15] ^ mask
                    hi = _DOUBLE[b >> 4] ^ mask
                    i = top + 2 * k
                    frame[i] = lo
                    frame[i + 1] = lo
                    frame[i + _WIDTH] = hi
                    frame[i + _WIDTH + 1] = hi
            col += 2

    def flush(self) -> int:
        """Send what changed since the last flush; returns the I2C bytes written (control bytes included)."""
        drv = self._drv
        if not self._synced:
            drv.show()
            self._shadow_mv[:] = self._frame
            self._synced = True
            return _WINDOW_BYTES + 1 + _WIDTH * _PAGES
        buf = self._buf
        shadow = self._shadow
        spans = self._spans
        cost = 0
        for page in range(_PAGES):
            end = (page + 1) * _WIDTH
            first = page * _WIDTH
            # buf is the frame shifted by one (its byte 0 is the driver's control byte).
            while first < end and buf[first + 1] == shadow[first]:
                first += 1
            if first == end:
                spans[2 * page] = spans[2 * page + 1] = 255  # page unchanged
                continue
            last = end - 1
            while buf[last + 1] == shadow[last]:
                last -= 1
            spans[2 * page] = first - page * _WIDTH
            spans[2 * page + 1] = last - page * _WIDTH
            cost += _WINDOW_BYTES + 1 + last + 1 - first
        if cost > _WINDOW_BYTES + 1 + _WIDTH * _PAGES:
            # Most of the screen changed: one whole frame costs fewer bus bytes than a window per page.
            self._synced = False
            return self.flush()
        drv = self._drv
        for page in range(_PAGES):
            col0 = spans[2 * page]
            if col0 == 255:
                continue
            col1 = spans[2 * page + 1]
            first = page * _WIDTH + col0
            last = page * _WIDTH + col1
            drv.write_cmd(_SET_COL_ADDR)
            drv.write_cmd(col0)
            drv.write_cmd(col1)
            drv.write_cmd(_SET_PAGE_ADDR)
            drv.write_cmd(page)
            drv.write_cmd(page)
            # The data must be preceded by its control byte: borrow the byte in front of the span (the
            # driver's own prefix, or the previous pixel column) instead of copying the span.
            saved = buf[first]
            buf[first] = _DATA_PREFIX
            try:
                with drv.i2c_device:
                    drv.i2c_device.write(buf, start=first, end=last + 2)
            finally:
                buf[first] = saved
            self._shadow_mv[first : last + 1] = self._frame[first : last + 1]
        return cost

    def power(self, on: bool) -> None:
        # Display off keeps the panel's RAM, so the shadow stays true.
        if on:
            self._drv.poweron()
        else:
            self._drv.poweroff()

    def _special(self, ch: str, offset: int, mask: int) -> None:
        # Cells sit on page boundaries, so a glyph's column bytes go straight into the frame.
        i = font.glyph_index(ch)
        if i < 0:
            self._drv.text("?", offset % _WIDTH, (offset // _WIDTH) * 8, 0 if mask else 1)
            return
        data = font.DATA
        frame = self._frame
        for k in range(8):
            frame[offset + k] = data[i + k] ^ mask

    def _render(self, ch: str, cell: bytearray) -> None:
        i = font.glyph_index(ch) if ord(ch) >= 128 else -1
        if i >= 0:
            for k in range(8):
                cell[k] = font.DATA[i + k]
            return
        fb = self._cell_fb
        if fb is None:
            import framebuf

            fb = self._cell_fb = framebuf.FrameBuffer(cell, 8, 8, framebuf.MONO_VLSB)
        fb.fill(0)
        fb.text(ch if ord(ch) < 128 else "?", 0, 0, 1)
