# PIN lockout per staff number (handheld/pin_lockout.py), driven through its login() with a real Flow's site, board
# and store: five wrong PINs make that number wait 30 s, doubling per further failure up to 15 min; other numbers are
# not affected; a right PIN clears the count; the counts survive a reboot without ever getting shorter for a lost
# clock; a damaged or missing file locks nobody out and stops nothing. Not yet called by the login screen (see
# docs/threat-model.md). Runs on CPython and MicroPython.
import json

from flow_support import FakeBoard, Rig, exists, read, write

from handheld import pin_lockout

WRONG = "1111"
RIGHT = "1234"
LOCKED_30S = "Låst: for mange forkerte PIN. Vent 30 s."


def rig_of(name):
    rig = Rig(name)
    rig.flow.pins = None  # what the flow will hold: nothing read yet
    return rig


def try_pin(rig, pin, staff=1001):
    """The PIN typed for staff; True if it logs in. The screen's sentence is then in said(rig)."""
    f = rig.flow
    f.msg = None
    f.candidate = staff
    f.entry = pin
    return pin_lockout.login(f)


def said(rig):
    return " ".join(rig.flow.msg or [])


def pins_file(rig):
    return rig.root + "/" + pin_lockout.PIN_FILE


def reboot(rig, board=None):
    """The flow's state forgotten, as after a power cut: the ticks start again, the clock maybe not valid."""
    rig.board = board or FakeBoard()
    rig.flow.board = rig.board
    rig.flow.pins = None
    return rig


def test_the_delay_grows_from_30_s_doubling_to_a_cap_of_15_min():
    assert [pin_lockout.delay_s(n) for n in range(0, 12)] == [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]
    assert pin_lockout.delay_s(10 ** 6) == 900


def test_four_wrong_pins_only_say_wrong_and_the_fifth_locks_with_the_wait_in_one_sentence():
    rig = rig_of("pins-five")
    for _ in range(4):
        assert not try_pin(rig, WRONG)
        assert said(rig) == "Forkert PIN. Prøv igen."
    assert not try_pin(rig, WRONG)
    assert said(rig) == LOCKED_30S
    assert "staff 1001 locked out for 30 s after 5 wrong PINs" in rig.board.logs
    assert not try_pin(rig, RIGHT)  # the right PIN while it waits: not even tried
    assert said(rig) == LOCKED_30S
    assert "PIN not tried for staff 1001: locked for 30 s more" in rig.board.logs
    rig.board.advance(20000)
    assert not try_pin(rig, RIGHT)
    assert said(rig) == "Låst: for mange forkerte PIN. Vent 10 s."
    rig.done()


def test_other_numbers_are_not_affected():
    rig = rig_of("pins-others")
    for _ in range(5):
        try_pin(rig, WRONG)
    assert try_pin(rig, "5678", staff=1002)
    assert not try_pin(rig, RIGHT) and said(rig) == LOCKED_30S
    rig.done()


def test_after_the_wait_the_right_pin_logs_in_and_resets_the_count():
    rig = rig_of("pins-reset")
    for _ in range(5):
        try_pin(rig, WRONG)
    rig.board.advance(30000)
    assert try_pin(rig, RIGHT)
    assert 1001 not in rig.flow.pins[0]
    assert json.loads(read(pins_file(rig))) == {"staff": {}, "unsynced": 5}  # the failures wait for a sync
    for _ in range(4):  # four again after the reset: not locked
        try_pin(rig, WRONG)
    assert said(rig) == "Forkert PIN. Prøv igen."
    rig.done()


def test_each_failure_after_the_fifth_doubles_the_wait():
    rig = rig_of("pins-double")
    for _ in range(5):
        try_pin(rig, WRONG)
    rig.board.advance(30000)
    try_pin(rig, WRONG)
    assert said(rig) == "Låst: for mange forkerte PIN. Vent 1 min."
    rig.board.advance(60000)
    try_pin(rig, WRONG)
    assert said(rig) == "Låst: for mange forkerte PIN. Vent 2 min."
    rig.done()


def test_the_sentence_is_english_when_the_handheld_speaks_english():
    rig = rig_of("pins-en")
    rig.flow.lang = "en"  # what a site file with "language": "en" sets (Flow.set_site)
    for _ in range(5):
        try_pin(rig, WRONG)
    assert said(rig) == "Locked: too many wrong PINs. Wait 30 s."
    rig.done()


def test_the_count_and_the_lock_survive_a_reboot_with_a_valid_clock():
    rig = rig_of("pins-reboot")
    for _ in range(5):
        try_pin(rig, WRONG)
    assert not exists(pins_file(rig) + ".tmp")  # written aside and renamed
    stored = json.loads(read(pins_file(rig)))
    assert stored["staff"] == {"1001": [5, rig.board.now()]} and stored["unsynced"] == 5
    later = FakeBoard()
    later.unix = rig.board.unix + 10  # ten seconds after the fifth failure, by the wall clock
    reboot(rig, later)
    assert not try_pin(rig, RIGHT) and said(rig) == "Låst: for mange forkerte PIN. Vent 20 s."
    rig.board.advance(20000)
    assert try_pin(rig, RIGHT)
    rig.done()


def test_without_a_valid_clock_after_a_reboot_the_whole_delay_starts_again_from_the_boot():
    rig = rig_of("pins-noclock")
    for _ in range(5):
        try_pin(rig, WRONG)
    rig.board.advance(25000)  # 5 s of its 30 s left when the power goes
    reboot(rig, FakeBoard(unix=946684800, valid=False))  # an RTC-less board wakes up in 2000
    assert not try_pin(rig, RIGHT) and said(rig) == LOCKED_30S  # never shorter because the clock was lost
    rig.board.advance(29000)
    assert not try_pin(rig, RIGHT) and said(rig) == "Låst: for mange forkerte PIN. Vent 1 s."
    rig.board.advance(1000)
    assert try_pin(rig, RIGHT)
    rig.done()


def test_a_clock_set_back_after_a_reboot_does_not_shorten_the_wait():
    rig = rig_of("pins-back")
    for _ in range(5):
        try_pin(rig, WRONG)
    earlier = FakeBoard()
    earlier.unix = rig.board.unix - 3600  # the clock now says an hour before the failure
    reboot(rig, earlier)
    assert not try_pin(rig, RIGHT) and said(rig) == LOCKED_30S
    rig.done()


def test_a_failure_typed_without_a_valid_clock_is_stored_without_a_time_and_waits_in_full_after_a_reboot():
    rig = rig_of("pins-notime")
    rig.board.valid = False
    for _ in range(5):
        try_pin(rig, WRONG)
    assert json.loads(read(pins_file(rig)))["staff"] == {"1001": [5, 0]}
    reboot(rig)  # the clock is valid now, but the failure's time was never known
    assert not try_pin(rig, RIGHT) and said(rig) == LOCKED_30S
    rig.done()


def test_a_damaged_or_strange_file_locks_nobody_out_crashes_nothing_and_is_logged():
    for name, content in (("garbage", b"\x00\xffnot json"), ("list", b"[1, 2]"), ("nostaff", b'{"unsynced": 3}'),
                          ("entries", b'{"staff": {"1001": "x", "abc": [9, 1], "0": [9, 1], "1002": [-1, 5]}}'),
                          ("truncated", b'{"staff": {"1001": [9, 17')):
        rig = rig_of("pins-bad-" + name)
        write(pins_file(rig), content)
        reboot(rig)
        assert try_pin(rig, RIGHT), (name, said(rig))
        assert any("pins.json" in line for line in rig.board.logs), (name, rig.board.logs)
        assert try_pin(rig, "5678", staff=1002), name
        rig.done()


def test_a_huge_count_in_the_file_waits_at_most_the_cap():
    rig = rig_of("pins-huge")
    write(pins_file(rig), b'{"staff": {"1001": [99999999999, 0]}, "unsynced": 1}')
    reboot(rig)
    assert not try_pin(rig, RIGHT) and said(rig) == "Låst: for mange forkerte PIN. Vent 15 min."
    rig.board.advance(900000)
    assert try_pin(rig, RIGHT)
    rig.done()


def test_no_file_means_no_failures_nothing_read_and_nothing_logged():
    rig = rig_of("pins-none")
    assert try_pin(rig, RIGHT)
    assert rig.flow.pins is None and not exists(pins_file(rig))  # a clean login reads and writes nothing
    assert not [line for line in rig.board.logs if "pins" in line]
    rig.done()


def test_hellos_summary_counts_numbers_in_lockout_and_failures_until_a_sync_has_told_them():
    rig = rig_of("pins-summary")
    for _ in range(5):
        try_pin(rig, WRONG)
    try_pin(rig, WRONG, staff=1002)
    try_pin(rig, WRONG, staff=1002)
    board = rig.board
    assert rig.flow.pins[2] == {"locked": 1, "failures": 7}
    pin_lockout.synced(rig.flow.pins, rig.root, board)
    assert rig.flow.pins[2] == {"locked": 1, "failures": 0}
    assert json.loads(read(pins_file(rig)))["unsynced"] == 0
    board.advance(30000)
    assert try_pin(rig, RIGHT) and try_pin(rig, "5678", staff=1002)  # their right PINs end both counts
    assert rig.flow.pins[2] == {"locked": 0, "failures": 0}
    assert not exists(pins_file(rig))  # nothing left to keep: the file goes
    try_pin(rig, WRONG)
    assert json.loads(read(pins_file(rig))) == {"staff": {"1001": [1, board.now()]}, "unsynced": 1}
    rig.done()
