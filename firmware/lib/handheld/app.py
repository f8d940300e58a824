# The handheld's main loop: build the display, store, site configuration and screen flow on a board, then poll
# keys, feed the flow, flush what changed to the display and let the board idle. Board-independent.
import gc
import os

import micropython

from handheld import text

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
    from handheld import siteconfig
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
    gc.collect()
    from handheld.reminders import Reminders

    reminders = Reminders(root, site).open(store)
    if reminders.problem:
        board.log(reminders.problem)
    gc.collect()
    from handheld.flow import Flow

    flow = Flow(display, store, site, board, reminders, free_bytes=_free_bytes(root),
                on_report=lambda: heap_report(board))

    def status():
        return {"site_id": flow.site.site_id, "config_id": flow.site.config_id, "example_config": flow.site.example}

    def progress(done, total):
        # The sync runs inside one link.poll(); the screen is updated from here so the nurse sees it move.
        lang = flow.site.language
        display.clear()
        display.row(0, text.get(lang, "syncing"), inverse=True)
        display.row(3, text.get(lang, "sync_progress") % (done, total))
        display.row(5, text.get(lang, "sync_keep"))
        display.flush()

    def config_changed():
        flow.set_site(siteconfig.load(root))

    gc.collect()
    from handheld.link import Link

    link = Link(board, store, status=status, progress=progress, config_changed=config_changed)
    # The USB serial port is the sync link now: a 0x03 byte must not stop the app. The REPL command turns
    # keyboard interrupts back on and leaves, which is how deploy reaches the REPL on purpose.
    micropython.kbd_intr(-1)
    gc.collect()
    board.log("ready: config %s%s, heap %d used %d free" % (
        site.config_id, " (EXAMPLE)" if site.example else "", gc.mem_alloc(), gc.mem_free()))
    while not link.wants_repl:
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
        if link.poll():
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
        board.sleep_ms(LOOP_MS)
    micropython.kbd_intr(3)
    board.log("leaving the app for the REPL")
