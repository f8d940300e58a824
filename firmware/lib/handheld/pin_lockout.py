# PIN lockout per staff number: after LOCK_AFTER wrong PINs in a row a number waits before it may try again, 30 s
# and doubling with each further failure up to 15 min; a right PIN clears that number. Kept in pins.json on the flash
# (written aside and renamed), so a reboot does not clear it. login(flow) is meant to be loaded for the one login
# step (handheld.once) in place of the site's check_pin; the login screen does not call it yet: wired in, it cost
# the few hundred bytes of heap that a sync right after an idle logout needs (see docs/threat-model.md, Not yet).
#
# The state is [entries, failures since the last sync, HELLO's pin_lockouts]; entries {staff: [failures in a row,
# lock start in ticks_ms or None once that lock has run out, wall-clock second of the last failure or 0, the lock's
# length in ms]}. HELLO's dict ({"locked": numbers in lockout, i.e. 5 or more wrong PINs in a row not yet cleared by
# their right PIN, "failures": wrong PINs since the last sync}) is kept up to date here, so that a HELLO
# needs no code of its own in a sync's heap, which has no room for it. The file keeps each number's failures and
# the second of its last failure (0 when the clock was not valid then). After a reboot a lock is resumed from that
# second only when the clock is valid and not behind it; otherwise the whole delay starts again at the boot: a lost
# clock can make a wait longer, never shorter.
#
# A lock is timed with ticks_ms, which wrap every 2^30 ms (12.4 days) on the Pico: a lock is looked at only while
# its number tries to log in, and once seen run out (or wrapped past, a negative difference) it is never timed
# again; only a number locked, never tried again for 12.4 days and then tried in the same minutes could see a
# spurious wait, never a shorter one.
import json
import os
import time

PIN_FILE = "pins.json"
LOCK_AFTER = 5
FIRST_DELAY_S = 30
MAX_DELAY_S = 15 * 60
_FAILURES_MAX = 1000000  # a counter from a damaged file is capped, not trusted to be sane
_STAFF_MAX = 99999999

_TICKS_DIFF = getattr(time, "ticks_diff", None)
_TICKS_ADD = getattr(time, "ticks_add", None)


def _diff(a, b):
    # MicroPython's ticks wrap around and must be compared with ticks_diff; CPython (tests) has plain integers.
    return _TICKS_DIFF(a, b) if _TICKS_DIFF is not None else a - b


def _add(a, delta):
    return _TICKS_ADD(a, delta) if _TICKS_ADD is not None else a + delta


def delay_s(failures):
    """The wait after `failures` wrong PINs in a row: none below LOCK_AFTER, then 30 s doubling, at most 15 min."""
    if failures < LOCK_AFTER:
        return 0
    shift = failures - LOCK_AFTER
    if shift >= 5:  # 30 s << 5 is past the cap already (and a huge shift is not computed)
        return MAX_DELAY_S
    return min(FIRST_DELAY_S << shift, MAX_DELAY_S)


def _path(root):
    return root.rstrip("/") + "/" + PIN_FILE if root not in ("", "/") else PIN_FILE


def load(root, board):
    """The lockout state from pins.json. A missing file is no failures; a damaged one (or a damaged entry) is
    logged and read as no failures for what cannot be read, so it can never lock anybody out for ever."""
    entries = {}
    since_sync = 0
    data = None
    try:
        with open(_path(root)) as f:
            data = json.load(f)
    except OSError as e:
        if not (e.args and e.args[0] == 2):  # ENOENT: nobody has typed a wrong PIN yet
            board.log("pins.json unreadable (%r): PIN failure counts start afresh" % (e,))
    except ValueError as e:
        board.log("pins.json damaged (%s): PIN failure counts start afresh" % (e,))
    if data is None:
        return _state(entries, since_sync)
    if not isinstance(data, dict) or not isinstance(data.get("staff"), dict):
        board.log("pins.json damaged (not a table of staff): PIN failure counts start afresh")
        return _state(entries, since_sync)
    unsynced = data.get("unsynced")
    if isinstance(unsynced, int) and not isinstance(unsynced, bool) and 0 <= unsynced <= _FAILURES_MAX:
        since_sync = unsynced
    now_ms = board.ticks_ms()
    clock_ok = board.clock_valid()
    now = board.now()
    for name, value in data["staff"].items():
        try:
            staff = int(name)
            failures, last = value
            if not (0 < staff <= _STAFF_MAX and isinstance(failures, int) and isinstance(last, int)
                    and failures > 0 and last >= 0):
                raise ValueError("out of range")
        except (ValueError, TypeError) as e:
            board.log("pins.json: entry %r ignored (%s)" % (name, e))
            continue
        failures = min(failures, _FAILURES_MAX)
        start = None
        wait_ms = delay_s(failures) * 1000
        if wait_ms:
            if clock_ok and last and now >= last:
                elapsed_ms = (now - last) * 1000
                if elapsed_ms < wait_ms:
                    start = _add(now_ms, -elapsed_ms)
            else:
                start = now_ms  # no trustworthy time of the failure: the whole delay again, from now
        entries[staff] = [failures, start, last, wait_ms]
    return _state(entries, since_sync)


def _state(entries, since_sync):
    state = [entries, since_sync, {}]
    _count(state)
    return state


def _count(state):
    locked = 0
    for entry in state[0].values():
        if entry[0] >= LOCK_AFTER:
            locked += 1
    state[2] = {"locked": locked, "failures": state[1]}


def remaining_s(state, staff, board):
    """Seconds this staff number must still wait before a PIN is taken (0: it may try now)."""
    entry = state[0].get(staff)
    if entry is None or entry[1] is None:
        return 0
    wait_ms = entry[3]
    passed = _diff(board.ticks_ms(), entry[1])
    if passed < 0 or passed >= wait_ms:
        # Run out (a negative difference is ticks that wrapped long after it ran out): never looked at again.
        entry[1] = None
        return 0
    return (wait_ms - passed + 999) // 1000


def failed(state, root, staff, board):
    """A wrong PIN for staff: counted, kept on flash and logged. Returns the seconds it must now wait (0: none)."""
    entry = state[0].get(staff)
    if entry is None:
        entry = state[0][staff] = [0, None, 0, 0]
    entry[0] = min(entry[0] + 1, _FAILURES_MAX)
    entry[2] = board.now() if board.clock_valid() else 0
    state[1] += 1
    wait = delay_s(entry[0])
    entry[1] = board.ticks_ms() if wait else None
    entry[3] = wait * 1000
    board.log("wrong PIN for staff %d" % staff)
    if wait:
        board.log("staff %d locked out for %d s after %d wrong PINs" % (staff, wait, entry[0]))
    _save(state, root, board)
    return wait


def succeeded(state, root, staff, board):
    """A right PIN clears that number's count (the file is only written when there was one)."""
    if state[0].pop(staff, None) is not None:
        _save(state, root, board)


def synced(state, root, board):
    """A sync has reported the failures: the count since the last sync starts again."""
    if state[1]:
        state[1] = 0
        _save(state, root, board)


def _save(state, root, board):
    _count(state)
    # The second of each number's last failure, not the start in ticks: ticks mean nothing after a reboot. Written
    # aside and renamed: a power cut leaves the old file or the new one.
    staff = {}
    for number, entry in state[0].items():
        staff[str(number)] = [entry[0], entry[2]]
    path = _path(root)
    try:
        if not staff and not state[1]:
            # Nothing to keep: no file, so a login and a HELLO do not even load this module.
            try:
                os.remove(path)
            except OSError as e:
                if not (e.args and e.args[0] == 2):  # ENOENT: already gone
                    raise
            return
        with open(path + ".tmp", "w") as f:
            json.dump({"staff": staff, "unsynced": state[1]}, f)
        os.rename(path + ".tmp", path)
    except OSError as e:
        # The count in the heap still holds until a reboot; a full or failing flash must not stop a login.
        board.log("pins.json not written: %r" % (e,))


# ---- the login screens' side (screen_entry.py calls these with the flow) ----------------------------------------
def state_of(f):
    """The flow's lockout state, read from flash the first time it is needed."""
    if f.pins is None:
        f.pins = load(f.store.root, f.board)
    return f.pins


def login(f):
    """The PIN typed for f.candidate (f.entry): True if it is right and the number is not waiting; otherwise the
    screen says why (wrong, or the wait)."""
    staff = f.candidate
    pins = f.pins
    if pins is None and _has_file(f.store.root):
        pins = state_of(f)
    known = pins is not None and staff in pins[0]
    if known and refused(f, staff):
        return False
    if f.site.check_pin(staff, f.entry):
        if known:
            cleared(f, staff)
        return True
    wrong(f, staff)
    return False


def _has_file(root):
    try:
        os.stat(_path(root))
    except OSError:
        return False  # none there: _save removes it when it would hold nothing
    return True


def refused(f, staff):
    """True, with the sentence on the screen, while staff must wait; a PIN typed meanwhile is not even checked, so a
    guess typed now tells the guesser nothing."""
    wait = remaining_s(state_of(f), staff, f.board)
    if wait:
        f.board.log("PIN not tried for staff %d: locked for %d s more" % (staff, wait))
        f.say(_locked(f, wait))
    return bool(wait)


def wrong(f, staff):
    """A wrong PIN: counted, and the screen says so, or says the wait it brought."""
    wait = failed(state_of(f), f.store.root, staff, f.board)
    f.say(_locked(f, wait) if wait else f.t("wrong_pin"))


def cleared(f, staff):
    """The right PIN: that number's count goes."""
    succeeded(f.pins, f.store.root, staff, f.board)


def _locked(f, seconds):
    # The wait in whole minutes once it is a minute or more, rounded up: "Vent 15 min." is never less than the truth.
    wait = "%d s" % seconds if seconds < 60 else f.t("minutes") % ((seconds + 59) // 60)
    return f.t("pin_locked") % wait
