# The keypad debouncer: one press per press, bounces and held keys do not repeat, ambiguous scans ignored.
from handheld.keypad import LAYOUT, Debouncer, decode_scan


def feed(debouncer, readings, step_ms=5):
    """Readings sampled every step_ms; returns the presses the debouncer reported."""
    presses = []
    for i, raw in enumerate(readings):
        key = debouncer.update(raw, i * step_ms)
        if key is not None:
            presses.append(key)
    return presses


def test_a_clean_press_gives_one_key_after_settling():
    assert feed(Debouncer(20), [None, "5", "5", "5", "5", "5", None]) == ["5"]
    assert feed(Debouncer(20), [None, "5", "5", "5", None]) == []  # 10 ms: not settled


def test_holding_a_key_does_not_repeat():
    assert feed(Debouncer(20), ["#"] * 200) == ["#"]


def test_bouncing_contacts_give_one_press():
    bouncy = [None, "7", None, "7", "7", None, "7", "7", "7", "7", "7", "7", None, "7", None]
    assert feed(Debouncer(20), bouncy) == ["7"]


def test_two_presses_of_the_same_key_give_two_keys():
    readings = [None] + ["1"] * 6 + [None] * 6 + ["1"] * 6 + [None]
    assert feed(Debouncer(20), readings) == ["1", "1"]


def test_several_keys_at_once_are_not_believed():
    assert decode_scan([(0, 0), (1, 1)]) is None
    assert decode_scan([]) is None
    assert decode_scan([(3, 2)]) == "#"
    assert decode_scan([(3, 0)]) == "*"
    assert "".join(LAYOUT) == "123A456B789C*0#D"


def test_tick_wraparound_is_handled_with_the_boards_ticks_diff():
    def ticks_diff(a, b):
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000

    d = Debouncer(20)
    start = 0x3FFFFFF0  # just before the 30-bit tick counter wraps
    assert d.update("9", start, ticks_diff) is None
    assert d.update("9", (start + 25) & 0x3FFFFFFF, ticks_diff) == "9"
