# A stand-in app for the virtual Pico's tests (MicroPython): board_sim and Display driven by keys, reporting
# through board.log what the tests cannot see on the screen.
import gc

gc.collect()
import board_sim as board  # noqa: E402  (imported after the first heap reading on purpose)

gc.collect()
heap_before = gc.mem_alloc()
from handheld.display import Display  # noqa: E402

display = Display(board.display_bus())
gc.collect()
board.log("heap display=%d free=%d" % (gc.mem_alloc() - heap_before, gc.mem_free()))

ROOT = board.storage_root()
try:
    with open(ROOT + "/boots") as f:
        boots = int(f.read()) + 1
except OSError:
    boots = 1
with open(ROOT + "/boots", "w") as f:
    f.write(str(boots))
board.log("boots=%d" % boots)

bus = board.display_bus()
try:
    bus.writeto(0x3D, b"\x00")
    board.log("probe 0x3d: acknowledged")
except OSError as e:
    board.log("probe 0x3d: OSError %d" % e.args[0])
board.log("scan %s" % bus.scan())

try:
    with open(ROOT + "/typed") as f:
        typed = f.read()
except OSError:
    typed = ""
echo = None
display.row(0, "TOBS sim", inverse=True)
display.text("Puls 92", 0, 2)
display.row(7, typed)


def handle(key):
    global typed, echo
    if key in "012345":
        typed = (typed + key)[-16:]
        display.row(7, typed)
    elif key == "6":
        board.set_clock(1700000000)
    elif key == "7":
        import micropython

        micropython.kbd_intr(-1)  # as the app does it: the sim board emulates the call, not only kbd_intr()
        import select

        echo = select.poll()
        echo.register(board.serial()[0], select.POLLIN)
        board.log("kbd_intr off")
    elif key == "8":
        board.log("clock now=%d valid=%d ticks=%d" % (board.now(), board.clock_valid(), board.ticks_ms()))
    elif key == "9":
        display.big("7", 12, 2)
    elif key == "A":
        display.row(3, "Blodtryk æøå ÆØÅ")
        display.row(4, "38,5°C 1–3 €")  # no glyph for the euro sign: drawn as "?"
    elif key == "B":
        display.row(5, "Valgt", inverse=True)
    elif key == "C":
        display._drv.show()  # the driver's full frame, for comparison with the partial flushes
        board.log("show")
    elif key == "D":
        typed = ""
        display.clear()
    elif key == "#":
        with open(ROOT + "/typed", "w") as f:
            f.write(typed)
        board.log("saved " + typed)
    elif key == "*":
        board.log("uid " + "".join("%02x" % b for b in board.unique_id()))


while True:
    key = board.read_key()
    while key:
        handle(key)
        key = board.read_key()
    if echo is not None:
        for _ in echo.ipoll(0):
            board.log("serial %02x" % board.serial()[0].read(1)[0])
    sent = display.flush()
    if sent:
        board.log("flush %d" % sent)
    board.idle()
    board.sleep_ms(5)
