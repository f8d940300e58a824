# The handheld's main loop: build the display, store, site configuration and screen flow on a board, then poll
# keys, feed the flow, flush what changed to the display and let the board idle. Board-independent.
import gc
import os

from handheld import siteconfig, text
from handheld.display import Display
from handheld.flow import Flow
from handheld.reminders import Reminders
from handheld.store import RecordStore

LOOP_MS = 10

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


def _show_fatal(display, message):
    display.clear()
    lines = text.wrap(message)
    for i in range(min(len(lines), 8)):
        display.text(lines[i], 0, i)
    display.flush()


def run(board):
    display = Display(board.display_bus())
    root = board.storage_root()
    store = RecordStore(root)
    for problem in store.problems:
        board.log("store: " + problem)
    try:
        site = siteconfig.load(root)
    except (OSError, ValueError) as e:
        # Without any configuration nobody can log in: say so on the screen and stop here.
        board.log("no usable site configuration: %r" % (e,))
        _show_fatal(display, text.get("da", "no_config"))
        while True:
            board.idle()
            board.sleep_ms(1000)
    if site.warning:
        board.log(site.warning)
    reminders = Reminders(root, site).open(store)
    if reminders.problem:
        board.log(reminders.problem)
    flow = Flow(display, store, site, board, reminders, free_bytes=_free_bytes(root),
                on_report=lambda: heap_report(board))
    gc.collect()
    board.log("ready: config %s%s, heap %d used %d free" % (
        site.config_id, " (EXAMPLE)" if site.example else "", gc.mem_alloc(), gc.mem_free()))
    while True:
        key = board.read_key()
        worked = key is not None
        if worked:
            # Start the work on a clean heap, so that the sample after it measures what handling keys needs.
            gc.collect()
        while key is not None:
            flow.key(key)
            key = board.read_key()
        if flow.tick():
            worked = True
        # SERIAL LINK: the sync with the register will be polled here, once per loop, as link.poll(); it does
        # not exist yet, so nothing here pretends to answer the PC.
        if flow.dirty:
            display.flush()
            flow.dirty = False
        if worked:
            _sample_heap()
            gc.collect()
        board.idle()
        board.sleep_ms(LOOP_MS)
