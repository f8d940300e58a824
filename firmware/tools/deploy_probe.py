# Sent by `tobs deploy` to the target's MicroPython REPL (a Pico, or the virtual Pico booting from its flash) and
# run there: where the firmware lives, whether the virtual Pico boots from its flash, the free flash, and the
# SHA-256 of every file a new image could replace or shadow (lib/ entirely; *.py, *.mpy and the image's own data
# files at the top). One "TOBS key value" line each. Reads in 512-byte pieces: the heap still holds what the app
# left behind. The PC appends the call `_tobs_probe((data names...))` and deletes the function afterwards.
import binascii
import hashlib
import os
import sys


def _tobs_probe(data_names):
    b = sys.modules.get("board_sim")
    r = b.storage_root() if b else ("/" if sys.platform == "rp2" else "")
    print("TOBS platform", sys.platform)
    if not r:
        return
    print("TOBS root", 1 if getattr(b, "boots_from_flash", False) else 0, r)
    st = os.statvfs(r)
    print("TOBS free", st[0] * st[3])
    buf = bytearray(512)
    mv = memoryview(buf)

    def walk(d, rel, deep):
        for e in os.ilistdir(d):
            name = e[0]
            p = d.rstrip("/") + "/" + name
            if e[1] == 0x4000:
                if deep or name == "lib":
                    print("TOBS dir", rel + name)
                    walk(p, rel + name + "/", True)
            elif deep or name.endswith(".py") or name.endswith(".mpy") or name in data_names:
                h = hashlib.sha256()
                n = 0
                with open(p, "rb") as f:
                    while True:
                        k = f.readinto(buf)
                        if not k:
                            break
                        h.update(mv[:k])
                        n += k
                print("TOBS file", binascii.hexlify(h.digest()).decode(), n, rel + name)

    walk(r, "", False)
