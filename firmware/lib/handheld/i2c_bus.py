# Adapter from a machine.I2C-style object (the Pico's hardware I2C, or the virtual Pico's emulated bus) to the
# busio-style bus that adafruit_bus_device's I2CDevice, and so the SSD1306 driver, expects.


class I2CBus:
    def __init__(self, i2c):
        self._i2c = i2c
        self._locked = False

    def try_lock(self) -> bool:
        # One program, one thread: the lock only has to catch nested use, never wait for another owner.
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self) -> None:
        self._locked = False

    def writeto(self, addr: int, buf, *, start: int = 0, end=None) -> None:
        # A memoryview window instead of buf[start:end]: the display flush sends parts of the 1 KB frame
        # and must not copy them.
        if start or (end is not None and end != len(buf)):
            buf = memoryview(buf)[start:end]
        self._i2c.writeto(addr, buf)

    def readfrom_into(self, addr: int, buf, *, start: int = 0, end=None) -> None:
        if start or (end is not None and end != len(buf)):
            buf = memoryview(buf)[start:end]
        self._i2c.readfrom_into(addr, buf)

    def writeto_then_readfrom(
        self, addr: int, out_buf, in_buf, *, out_start: int = 0, out_end=None, in_start: int = 0, in_end=None
    ) -> None:
        if out_start or (out_end is not None and out_end != len(out_buf)):
            out_buf = memoryview(out_buf)[out_start:out_end]
        if in_start or (in_end is not None and in_end != len(in_buf)):
            in_buf = memoryview(in_buf)[in_start:in_end]
        # machine.I2C: stop=False keeps the bus for the repeated start of the read.
        self._i2c.writeto(addr, out_buf, False)
        self._i2c.readfrom_into(addr, in_buf)

    def scan(self) -> list:
        return self._i2c.scan()
