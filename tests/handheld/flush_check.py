# MicroPython: Display over a bus that prints every I2C write, drawing pseudo-random screens, so the host can
# replay the bytes into the SSD1306 emulator and compare it with the frame after every flush.
# Output lines: "W <hex payload>" per write, "M" once the driver has started, "F <flush result> <frame hex>"
# after each flush.
import sys
from binascii import hexlify

from handheld.display import Display
from handheld.i2c_bus import I2CBus

STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 100


class RecordingI2C:
    def writeto(self, addr, buf, stop=True):
        if addr != 0x3C:
            raise OSError(5)
        print("W", hexlify(buf).decode())
        return len(buf) + 1

    def readfrom_into(self, addr, buf, stop=True):
        raise OSError(5)

    def scan(self):
        return [0x3C]


seed = 12345


def rand(n):
    # A small LCG: the same sequence on every run and both runtimes, without the random module.
    global seed
    seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
    return (seed >> 8) % n


def report(sent):
    print("F", sent, hexlify(display._frame).decode())


WORDS = ("Puls", "92", "æøå", "ÆØÅ", "38,5°C", "1–3", "TOBS", "0123456789", "Gem?", "#=OK")
display = Display(I2CBus(RecordingI2C()))
print("M")  # the driver's own start-up traffic ends here
report(display.flush())
for _ in range(STEPS):
    for _ in range(1 + rand(3)):
        action = rand(8)
        if action == 0:
            display.clear()
        elif action == 1:
            display.row(rand(8), WORDS[rand(len(WORDS))], rand(2) == 1)
        elif action == 2:
            display.big(WORDS[rand(len(WORDS))][:3], rand(16), rand(7))
        elif action == 3:
            # Single pixels in the first and last columns: spans starting at a page's column 0 and ending at 127.
            display._drv.pixel(127 * rand(2), rand(64), rand(2))
        else:
            display.text(WORDS[rand(len(WORDS))], rand(17), rand(8), rand(2) == 1)
    report(display.flush())
