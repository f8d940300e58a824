# 8x8 glyphs for the characters MicroPython's built-in framebuf font lacks, in the same bold style (é for the
# "synkronisér" of the Danish strings).
# MONO_VLSB: one byte per column, left to right, bit 0 = top pixel row; 8 bytes per glyph, in CHARS order.

CHARS = "æøåÆØÅ°–é"

DATA = (
    b"\x20\x74\x54\x54\x7c\x7c\x54\x54"  # æ
    b"\x80\x78\x7c\x64\x54\x7c\x3c\x02"  # ø  (slash past the ring, unlike the slashed zero)
    b"\x00\x40\xea\xad\xad\xfa\xf0\x00"  # å
    b"\x7c\x7e\x0b\x09\x7f\x7f\x49\x41"  # Æ
    b"\x40\x3e\x7f\x59\x4d\x7f\x3e\x01"  # Ø
    b"\x00\xf0\xfa\x2d\x2d\xfa\xf0\x00"  # Å
    b"\x00\x02\x07\x05\x07\x02\x00\x00"  # °
    b"\x08\x08\x08\x08\x08\x08\x08\x08"  # –  en dash: full cell width, where "-" leaves a margin
    b"\x00\x70\xf8\xaa\xab\xb9\xb0\x00"  # é  (the e one row lower, like å, under a two-pixel acute)
)


def glyph_index(ch: str) -> int:
    """Offset of ch's 8 bytes in DATA, or -1 when the built-in font (or nobody) draws it."""
    i = CHARS.find(ch)
    return i * 8 if i >= 0 else -1
