# The handheld's main loop: build the display, store, site configuration and screen flow on a board, then poll
# keys, feed the flow, flush what changed to the display and let the board idle. Board-independent.
import gc
import os
import select
import sys
import time

import micropython

import handheld
from handheld import const, text

_LOOP_MS = const(10)
_LINK_IDLE_MS = const(5000)  # the sync link leaves the heap after this long without a command from the PC

# Highest gc.mem_alloc() seen, sampled in every loop that handled a key or redrew, after a collection before the
# work and before the one after it: live heap plus that work's garbage, i.e. what the app needs at its busiest.
# The heap benchmark reads it from the log (key B on the status screen).
peak_heap = 0


def _sample_heap():
    global peak_heap
    used = gc.mem_alloc()
    if used > peak_heap:
        peak_heap = used
    return used


def heap_report(board):
    """Log the heap figures and return the line the status screen shows."""
    board.log("heap: peak %d bytes allocated, %d free now" % (peak_heap, gc.mem_free()))
    return "Heap %d kB" % ((peak_heap + 1023) // 1024)


def _free_bytes(root):
    def free():
        st = os.statvfs(root)
        return (st[1] or st[0]) * st[4]

    return free


def run(board):
    """Run the app until the PC asks for the REPL; a pushed site configuration restarts it."""
    while _run(board):
        # Everything the last run loaded goes, so the new start has the heap a power-up has.
        for name in [n[len("handheld."):] for n in sys.modules if n.startswith("handheld.")]:
            if name not in ("app", "text"):
                handheld.unload(name)
        sys.modules.pop("tobs_protocol", None)
        gc.collect()
        board.log("starting again with the new site configuration")


def _run(board):
    # Build in order of the largest single allocations first (the display's frame and shadow buffers), and
    # import each part only when it is needed, collecting in between: on a small heap a 1 KB buffer can fail
    # to find a contiguous gap long before the heap is full.
    from handheld.display import Display

    display = Display(board.display_bus())
    gc.collect()
    from handheld.store import RecordStore

    root = board.storage_root()
    store = RecordStore(root)
    gc.collect()
    from handheld import siteconfig  # noqa: F401 - imported first so it stays: the loaded configuration is of it

    for problem in store.problems:
        board.log("store: " + problem)
    try:
        site = handheld.once("siteconfig_load", "load", root)
    except Exception as e:  # noqa: BLE001 - whatever is wrong with the file, nobody logs in until IT mends it
        board.log("no usable site configuration: %r" % (e,))
        # Rare, so its code is loaded only then and is not part of the heap every shift runs in.
        return handheld.once("without_config", "run", board, display, store, str(e))
    if site.warning:
        board.log(site.warning)
    gc.collect()
    from handheld.reminders import Reminders

    reminders = Reminders(root, site).open(store)
    if reminders.problem:
        board.log(reminders.problem)
    gc.collect()
    from handheld.flow import Flow

    flow = Flow(display, store, site, board, reminders, free_bytes=_free_bytes(root),
                on_report=lambda: heap_report(board))

    reader = board.serial()[0]
    serial_in = select.poll()
    serial_in.register(reader, select.POLLIN)
    sync = _Sync(board, store, flow, display, root)
    # The USB serial port is the sync link now: a 0x03 byte must not stop the app. The REPL command turns
    # keyboard interrupts back on and leaves, which is how deploy reaches the REPL on purpose.
    # (pyright finds Adafruit Blinka's CPython stand-in for `micropython`, installed with the display driver,
    # before the MicroPython stubs; the stand-in has no kbd_intr, the device's module has.)
    micropython.kbd_intr(-1)  # pyright: ignore[reportAttributeAccessIssue]
    gc.collect()
    board.log("ready: config %s%s, heap %d used %d free" % (
        site.config_id, " (EXAMPLE)" if site.example else "", gc.mem_alloc(), gc.mem_free()))
    # A restart for a new site configuration waits until no measurement is being entered.
    while not sync.wants_repl and not (sync.restart and flow.state in ("start", "pin", "home", "saved")):
        key = board.read_key()
        worked = key is not None
        if worked:
            # Start the work on a clean heap, so that the sample after it measures what handling keys needs.
            gc.collect()
        while key is not None:
            try:
                flow.key(key)
            except MemoryError as e:
                _out_of_memory(board, sync, flow, "key %s (%s)" % (key, e))
            key = board.read_key()
        if flow.tick():
            worked = True
        if sync.link is not None or _readable(serial_in):
            try:
                handled = sync.poll()
            except MemoryError as e:
                handled = True
                _out_of_memory(board, sync, flow, "the link (%s)" % (e,))
            if handled:
                worked = True
                # A sync may have drawn its progress over the nurse's screen (and sync may change what is pending).
                flow.render()
                flow.dirty = True
        if flow.dirty:
            display.flush()
            flow.dirty = False
        if worked:
            _sample_heap()
            gc.collect()
        board.idle()
        board.sleep_ms(_LOOP_MS)
    if sync.restart:
        return True
    micropython.kbd_intr(3)  # pyright: ignore[reportAttributeAccessIssue]
    board.log("leaving the app for the REPL")
    return False


def _out_of_memory(board, sync, flow, doing):
    """The heap ran out while the app was handling `doing`. A MemoryError leaving the loop would end the app: the
    keypad dead in the middle of a shift, the REPL on the port. Instead the link's code leaves the heap (a PC's next
    byte loads it again) and the nurse is told to look and try again: what a key had not finished is not on the
    screen, and records are written whole or not at all (store.py), so nothing saved is touched."""
    sync.drop()
    gc.collect()
    board.log("out of memory while handling %s; link unloaded, %d bytes free now" % (doing, gc.mem_free()))
    try:
        flow.notice(flow.t("no_memory"))
        flow.render()
    except MemoryError:
        # Not even the notice fits: the screen keeps what it showed, and the next key draws it afresh.
        board.log("out of memory again while telling the nurse")
    flow.dirty = True


def _readable(poller):
    # ipoll() does not build a result list: this runs in every loop while no PC is talking.
    for _ in poller.ipoll(0):
        return True
    return False


class _Sync:
    """The sync link (handheld.commands with tobs_protocol) is loaded when the first byte arrives on the serial port and
    unloaded after _LINK_IDLE_MS without a command: a shift never needs its code in the heap. Whatever the PC
    sent stays in the serial buffer while the link loads, so nothing is lost."""

    def __init__(self, board, store, flow, display, root):
        self.board = board
        self.store = store
        self.flow = flow
        self.display = display
        self.root = root
        self.link = None
        self.last_ms = 0
        self.wants_repl = False
        self.restart = False

    def poll(self):
        """Let the link handle what the PC sent; True if a command was handled."""
        board = self.board
        link = self.link
        if link is None:
            gc.collect()
            from handheld.commands import SerialCommands

            link = self.link = SerialCommands(board, self.store, status=self._status, progress=self._progress,
                                    config_changed=self._config_changed)
            self.last_ms = board.ticks_ms()
        handled = link.poll()
        if handled:
            self.last_ms = board.ticks_ms()
            self.wants_repl = link.wants_repl
        elif link.idle() and time.ticks_diff(board.ticks_ms(), self.last_ms) >= _LINK_IDLE_MS:
            self.drop()
        return handled

    def drop(self):
        """The link's code leaves the heap; whatever the PC sends next loads it again. A half-received command
        line or file upload is forgotten with it: the PC gets no answer, times out, and starts over."""
        self.link = None
        handheld.unload("commands")
        handheld.unload("link_admin")
        sys.modules.pop("tobs_protocol", None)

    def _status(self):
        site = self.flow.site
        return {"site_id": site.site_id, "config_id": site.config_id, "example_config": site.example}

    def _progress(self, done, total):
        # The sync runs inside one link.poll(); the screen is updated from here so the nurse sees it move.
        display = self.display
        lang = self.flow.lang
        display.clear()
        display.row(0, text.get(lang, "syncing"), inverse=True)
        display.row(3, text.get(lang, "sync_prog") % (done, total))
        lines = text.wrap(text.get(lang, "sync_keep"))
        for i in range(min(2, len(lines))):
            display.text(lines[i], 0, 5 + i)
        display.flush()

    def _config_changed(self):
        # A pushed site.json is taken into use by starting the app afresh (after the PC has its answer): parsing a
        # configuration next to the running flow, the link and the old configuration does not fit 128 KB, and a
        # fresh start is the one path that is tested every power-up. Site pushes happen at the docking PC.
        self.restart = True
