# The virtual Pico's boot when it runs from its flash (`tobs sim --from-flash`), as MicroPython boots a Pico:
# board_sim (the emulated hardware, from the PC) mounts the flash image; everything else comes from the flash with
# the Pico's import path and current folder. When there is no main.py, or it ends or raises, the REPL gets the
# serial port (the PC starts MicroPython with -i) and a log line ending "; REPL" says so. Never deployed.
import os
import sys

import board_sim

board_sim.boots_from_flash = True
_root = board_sim.storage_root()
os.chdir(_root)
# The Pico's import path: its filesystem root (the current folder), frozen modules, then /lib.
sys.path[:] = ["", ".frozen", _root + "/lib"]
try:
    os.stat("main.py")
    _found = True
except OSError:
    _found = False
if not _found:
    board_sim.log("boot: no main.py on the flash; REPL")
else:
    try:
        execfile("main.py")  # noqa: F821 - MicroPython's built-in: runs the file in this module's globals
    except SystemExit:
        raise
    except BaseException as e:
        # The Pico prints the traceback and gives the serial port to the REPL; so does micropython -i.
        board_sim.log("boot: main.py stopped with %r; REPL" % (e,))
        raise
    board_sim.log("boot: main.py ended; REPL")
