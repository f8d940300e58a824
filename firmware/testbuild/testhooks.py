# Test builds only (deploy with test_build=True puts this in /lib): the link commands KEY (press keypad keys)
# and SCREEN (the display's 1,024-byte frame), so a bench test can drive a real Pico without fingers or a camera.
# A production image does not contain this module, and the device answers KEY with "unknown command".
# HOG fills the heap to a few bytes from full for a while, so a test can show that running out of memory while a
# nurse types leaves the app alive.
import gc
import time

_KEYS = "0123456789*#ABCD"
_queue = []
_display = []  # the app's Display, once it has been made
_hog = []  # what HOG holds of the heap
_hog_until = 0  # ticks_ms at which the hog lets go


def install(board):
    """Called by main.py before the app starts: injected keys come before the keypad's, and the display the
    app builds is remembered for SCREEN."""
    keypad = board.read_key

    def read_key():
        if _hog and time.ticks_diff(time.ticks_ms(), _hog_until) >= 0:
            del _hog[:]  # called in every loop of the app: the heap comes back on time without any link
        if _queue:
            return _queue.pop(0)
        return keypad()

    board.read_key = read_key
    from handheld import display

    plain = display.Display

    class RememberedDisplay(plain):
        def __init__(self, bus, addr=0x3C):
            super().__init__(bus, addr)
            _display.append(self)

    display.Display = RememberedDisplay


def handler(link, verb):
    """The handler for a test-only link command, or None; link.py calls it for verbs it does not know."""
    if verb == "KEY":
        return lambda args: _key(link, args)
    if verb == "SCREEN":
        return lambda args: _screen(link)
    if verb == "HOG":
        return lambda args: _hog_heap(link, args)
    return None


def _key(link, args):
    keys = args[0] if args else ""
    if not keys or any(k not in _KEYS for k in keys):
        raise ValueError("keys must be some of %s" % _KEYS)
    _queue.extend(keys)
    link.send("A", {"queued": len(_queue)})


def _screen(link):
    # Keys still queued have not reached the screen yet: the PC asks again.
    if _queue or not _display:
        link.send("X", {"error": "busy: %d keys queued" % len(_queue)})
        return
    link.send("S", bytes(_display[-1]._frame))


def _hog_heap(link, args):
    # HOG n ms: take the whole heap in small blocks, give back about n bytes, and hold the rest for ms milliseconds
    # (the link cannot be relied on to let go: it needs the heap to load). The blocks go in groups of 32, so no
    # growing list needs a large contiguous piece while the heap fills.
    global _hog_until
    left, hold_ms = args
    del _hog[:]
    gc.collect()
    _hog_until = time.ticks_add(time.ticks_ms(), int(hold_ms))
    give_back = int(left) // 64 + 1
    try:
        while True:
            group = []
            _hog.append(group)
            for _ in range(32):
                group.append(bytearray(48))
    except MemoryError:
        pass  # the heap is full: that is where this loop is meant to end
    while give_back and _hog:
        if _hog[-1]:
            _hog[-1].pop()
            give_back -= 1
        else:
            _hog.pop()
    gc.collect()
    link.send("A", {"free": gc.mem_free(), "held_blocks": sum(len(group) for group in _hog)})
