# Test builds only (deploy with test_build=True puts this in /lib): the link commands KEY (press keypad keys)
# and SCREEN (the display's 1,024-byte frame), so a bench test can drive a real Pico without fingers or a camera.
# A production image does not contain this module, and the device answers KEY with "unknown command".
_KEYS = "0123456789*#ABCD"
_queue = []
_display = []  # the app's Display, once it has been made


def install(board):
    """Called by main.py before the app starts: injected keys come before the keypad's, and the display the
    app builds is remembered for SCREEN."""
    keypad = board.read_key

    def read_key():
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
    return None


def _key(link, args):
    keys = args[0] if args else ""
    if not keys or any(k not in _KEYS for k in keys):
        raise ValueError("keys must be some of %s" % _KEYS)
    _queue.extend(keys)
    link._send("A", {"queued": len(_queue)})


def _screen(link):
    # Keys still queued have not reached the screen yet: the PC asks again.
    if _queue or not _display:
        link._send("X", {"error": "busy: %d keys queued" % len(_queue)})
        return
    link._send("S", bytes(_display[-1]._frame))
