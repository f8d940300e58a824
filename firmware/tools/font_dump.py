# Run by the PC with MicroPython's unix port: renders every printable ASCII character with MicroPython's own
# framebuf font (the one the handheld draws with) and prints "code hexbytes" per glyph, so the SSD1306 emulator
# can read text back off the emulated screen.
import framebuf

cell = bytearray(8)
fb = framebuf.FrameBuffer(cell, 8, 8, framebuf.MONO_VLSB)
for code in range(32, 127):
    fb.fill(0)
    fb.text(chr(code), 0, 0, 1)
    print(code, bytes(cell).hex())
