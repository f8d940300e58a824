"""The SSD1306 emulator decodes what the chip would: command stream, addressing modes, windows, display
modes, and reads text back from the pixels."""

from pathlib import Path

from tobs.device.ssd1306_emulator import ADDRESS, SSD1306Emulator, builtin_font, firmware_font

HERE = Path(__file__).resolve().parent


def commands(*ops: int) -> bytes:
    return bytes([0x00, *ops])  # control byte Co=0, D/C=0: every following byte is a command


def data(*values: int) -> bytes:
    return bytes([0x40, *values])


def ram(emu: SSD1306Emulator, page: int, col: int) -> int:
    return emu.gddram[page * 128 + col]


def panel() -> SSD1306Emulator:
    """An emulator set up the way the driver leaves the chip: on, horizontal mode, upright orientation."""
    emu = SSD1306Emulator()
    emu.write(ADDRESS, commands(0xAE, 0x20, 0x00, 0xA1, 0xC8, 0xAF))
    return emu


def test_horizontal_mode_fills_the_window_row_by_row_and_wraps():
    emu = panel()
    emu.write(ADDRESS, commands(0x21, 10, 13, 0x22, 2, 3))
    emu.write(ADDRESS, data(*range(1, 10)))
    assert [ram(emu, 2, c) for c in range(10, 14)] == [9, 2, 3, 4]  # the 9th byte wrapped to the window's start
    assert [ram(emu, 3, c) for c in range(10, 14)] == [5, 6, 7, 8]
    assert ram(emu, 2, 9) == 0 and ram(emu, 2, 14) == 0 and ram(emu, 1, 10) == 0 and ram(emu, 4, 10) == 0


def test_vertical_mode_fills_the_window_column_by_column():
    emu = panel()
    emu.write(ADDRESS, commands(0x20, 0x01, 0x21, 5, 6, 0x22, 0, 2))
    emu.write(ADDRESS, data(1, 2, 3, 4, 5, 6, 7))
    assert [ram(emu, p, 5) for p in range(3)] == [7, 2, 3]
    assert [ram(emu, p, 6) for p in range(3)] == [4, 5, 6]


def test_page_mode_uses_page_and_column_start_commands_and_stays_on_its_page():
    emu = panel()
    emu.write(ADDRESS, commands(0x20, 0x02, 0xB3, 0x0E, 0x17))  # page 3, column 0x7E
    emu.write(ADDRESS, data(1, 2, 3))
    # After column 127 the pointer returns to the page's column start (0x7E), never to the next page.
    assert (ram(emu, 3, 126), ram(emu, 3, 127)) == (3, 2)
    assert ram(emu, 4, 0) == 0 and ram(emu, 3, 0) == 0


def test_single_commands_with_arguments_in_separate_transactions():
    # The driver's write_cmd: control byte 0x80 (Co=1) and one byte per I2C transaction, arguments included.
    emu = panel()
    for byte in (0x21, 20, 21, 0x22, 5, 5):
        emu.write(ADDRESS, bytes([0x80, byte]))
    emu.write(ADDRESS, data(0xAA, 0x55))
    assert ram(emu, 5, 20) == 0xAA and ram(emu, 5, 21) == 0x55
    assert (emu.col_start, emu.col_end, emu.page_start, emu.page_end) == (20, 21, 5, 5)


def test_continuation_bit_switches_between_commands_and_data_in_one_transaction():
    emu = panel()
    emu.write(ADDRESS, bytes([0x80, 0xAE, 0x80, 0xA7, 0xC0, 0x33, 0x80, 0xAF]))  # Co=1 data byte in between
    assert emu.display_on and emu.inverse
    assert ram(emu, 0, 0) == 0x33


def test_every_argument_is_consumed_so_the_next_byte_is_a_command():
    emu = panel()
    emu.write(ADDRESS, commands(0x81, 0xAF, 0xD5, 0x80, 0xD9, 0xF1, 0xDB, 0x30, 0x8D, 0x14, 0xA8, 0x3F))
    emu.write(ADDRESS, commands(0xD3, 0x00, 0xDA, 0x12, 0xAD, 0x30, 0x26, 0, 0, 0, 0, 0, 0xFF, 0x2E, 0xE3))
    emu.write(ADDRESS, commands(0x29, 0, 0, 0, 0, 1, 0xA3, 0, 64))
    assert emu.contrast == 0xAF  # 0xAF was the contrast value, not "display on" a second time
    assert emu.charge_pump and emu.multiplex == 63
    assert emu.unknown_commands == []
    emu.write(ADDRESS, commands(0xFE))
    assert emu.unknown_commands == [0xFE]


def test_display_off_inverse_and_entire_on_change_what_is_shown_not_the_ram():
    emu = panel()
    emu.write(ADDRESS, data(0x0F))
    assert emu.frame()[0] == 0x0F
    emu.write(ADDRESS, commands(0xA7))
    assert emu.frame()[0] == 0xF0 and emu.frame()[1] == 0xFF
    emu.write(ADDRESS, commands(0xA6, 0xA5))
    assert emu.frame() == b"\xff" * 1024
    emu.write(ADDRESS, commands(0xA4, 0xAE))
    assert emu.frame() == bytes(1024)
    emu.write(ADDRESS, commands(0xAF))
    assert emu.frame()[0] == 0x0F and ram(emu, 0, 0) == 0x0F


def test_without_segment_remap_and_com_reversal_the_picture_is_rotated():
    emu = panel()
    emu.write(ADDRESS, data(0x01))  # top-left pixel in RAM
    emu.write(ADDRESS, commands(0xA0, 0xC0))
    pixels = emu.pixels()
    assert pixels[63][127] == 1 and pixels[0][0] == 0


def test_start_line_scrolls_the_picture():
    emu = panel()
    emu.write(ADDRESS, data(0x01))
    emu.write(ADDRESS, commands(0x41))  # display starts at RAM row 1: RAM row 0 moves to the bottom
    assert emu.pixels()[63][0] == 1 and emu.pixels()[0][0] == 0


def test_writes_to_other_addresses_are_ignored_and_bytes_are_counted():
    emu = SSD1306Emulator()
    emu.write(0x3D, data(1, 2, 3))
    emu.write(ADDRESS, b"")  # an address-only probe
    emu.write(ADDRESS, commands(0x21, 0, 127))
    emu.write(ADDRESS, data(1, 2, 3))
    assert emu.ignored_writes == 1 and emu.writes == 3
    assert emu.bytes_received == 4 + 4 and emu.control_bytes == 2 and emu.command_bytes == 3
    assert emu.data_bytes == 3


def draw(emu: SSD1306Emulator, row: int, text: str, inverse: bool = False) -> None:
    glyphs = {**builtin_font(), **firmware_font()}
    emu.write(ADDRESS, commands(0x21, 0, 127, 0x22, row, row))
    payload = b"".join(glyphs[ch] for ch in text.ljust(16))
    if inverse:
        payload = bytes(b ^ 0xFF for b in payload)
    emu.write(ADDRESS, b"\x40" + payload)


def test_text_reads_back_ascii_danish_and_inverse_cells():
    emu = panel()
    draw(emu, 0, "TOBS 12:34", inverse=True)
    draw(emu, 1, "Blodtryk æøå")
    draw(emu, 2, "ÆØÅ 38,5°C 1–3")
    draw(emu, 3, "~!@#$%^&*()_+{}")
    lines = emu.text_lines()
    assert lines[0] == "TOBS 12:34      "
    assert lines[1:4] == ["Blodtryk æøå    ", "ÆØÅ 38,5°C 1–3  ", "~!@#$%^&*()_+{} "]
    assert lines[4:] == [" " * 16] * 4
    assert emu.inverted_rows() == [0]
    assert emu.cells()[1][0] == ("B", False) and emu.cells()[0][0] == ("T", True)


def test_unknown_glyphs_read_as_question_marks():
    emu = panel()
    emu.write(ADDRESS, data(0x81, 0x42, 0x24, 0x18, 0x18, 0x24, 0x42, 0x81))  # an X that no font has
    assert emu.text_lines()[0] == "?" + " " * 15


def test_every_glyph_of_both_fonts_is_distinct():
    glyphs = {**builtin_font(), **firmware_font()}
    assert len(builtin_font()) == 95 and set(firmware_font()) == set("æøåÆØÅ°–é")
    assert len(set(glyphs.values())) == len(glyphs)
    inverse = {bytes(b ^ 0xFF for b in g) for g in glyphs.values()}
    assert not inverse & set(glyphs.values())  # an inverse cell never passes for a normal one


def test_double_size_characters_are_read_by_big_text():
    emu = panel()
    cell = builtin_font()["7"]
    upper, lower = bytearray(16), bytearray(16)
    for k, column in enumerate(cell):
        doubled = sum(3 << (2 * bit) for bit in range(8) if column >> bit & 1)
        upper[2 * k] = upper[2 * k + 1] = doubled & 0xFF
        lower[2 * k] = lower[2 * k + 1] = doubled >> 8
    emu.write(ADDRESS, commands(0x21, 32, 47, 0x22, 4, 5))
    emu.write(ADDRESS, b"\x40" + bytes(upper) + bytes(lower))
    assert emu.big_text() == "7"
    assert emu.text_lines()[4][4:6] == "??"


def test_png_and_terminal_art(tmp_path):
    emu = panel()
    draw(emu, 0, "H")  # the built-in H: columns 1 and 2 lit from the top row, column 0 dark
    path = emu.png(tmp_path / "screen.png", scale=4)
    from PIL import Image

    with Image.open(path) as img:
        assert img.size == (512, 256)
        assert img.getpixel((1 * 4 + 1, 1)) == (120, 200, 255)
        assert img.getpixel((0 * 4 + 1, 1)) == (0, 0, 0)
    art = emu.art().split("\n")
    assert len(art) == 32 and all(len(line) == 128 for line in art)
    assert art[0][0] == " " and art[0][1] == "\u2588" and art[-1] == " " * 128
    compact = emu.art(compact=True).split("\n")
    assert len(compact) == 32 and all(len(line) == 64 for line in compact)
    assert compact[0][0] == "\u2590"  # pixels (1, 0) and (1, 1) lit: the right half of the quadrant
