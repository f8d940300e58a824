# The handheld's extra glyphs: one 8x8 cell per character, all different, and every character the screens can
# show (strings of both languages, the chart labels and units) is in the built-in font or in font.py.
import tobs_labels
from handheld import font, text


def test_each_extra_character_has_one_distinct_cell():
    assert len(font.DATA) == 8 * len(font.CHARS) and len(set(font.CHARS)) == len(font.CHARS)
    cells = [font.DATA[i * 8 : i * 8 + 8] for i in range(len(font.CHARS))]
    assert len(set(cells)) == len(cells)
    for i, ch in enumerate(font.CHARS):
        assert font.glyph_index(ch) == 8 * i
    assert font.glyph_index("é") >= 0 and font.glyph_index("€") == -1 and font.glyph_index("e") == -1


def test_every_character_the_screens_use_can_be_drawn():
    shown = []
    for lang in ("da", "en"):
        shown += list(text.strings(lang).values())
        shown += list(tobs_labels.LABELS[lang].values())
    shown += list(tobs_labels.UNITS.values())
    missing = set()
    for s in shown:
        for ch in text.plain(s):
            if not (" " <= ch <= "~") and font.glyph_index(ch) < 0:
                missing.add(ch)
    assert not missing, sorted(missing)
