# The virtual Pico's flash chip as LittleFS block devices (MicroPython's extended block interface): a file the
# size of the Pico's filesystem for board_sim, and one in RAM for tests and benchmarks that fill or wear it.
# Part of the virtual hardware: never deployed to a Pico.
BLOCK = 4096
PICO_BLOCKS = 352  # 1,441,792 bytes: what MicroPython's rp2 port gives LittleFS on a 2 MB Pico


class FlashImage:
    """Block device over a file of the Pico's flash size."""

    def __init__(self, path, blocks=PICO_BLOCKS):
        self._file = open(path, "r+b")
        self.blocks = blocks

    def readblocks(self, block, buf, offset=0):
        self._file.seek(block * BLOCK + offset)
        self._file.readinto(buf)

    def writeblocks(self, block, buf, offset=0):
        # Unbuffered file writes go to the kernel at once: a SIGKILL (power cut) loses nothing already written.
        self._file.seek(block * BLOCK + offset)
        self._file.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return BLOCK
        return 0  # erase: LittleFS never relies on erased bytes reading 0xFF


class RamFlash:
    """The same chip in RAM, counting what wears NOR flash: block erases and programmed bytes."""

    def __init__(self, blocks=PICO_BLOCKS):
        self.blocks = blocks
        self.mv = memoryview(bytearray(BLOCK * blocks))
        self.erases = 0
        self.programmed = 0

    def readblocks(self, block, buf, offset=0):
        start = block * BLOCK + offset
        buf[:] = self.mv[start : start + len(buf)]

    def writeblocks(self, block, buf, offset=0):
        start = block * BLOCK + offset
        self.mv[start : start + len(buf)] = buf
        self.programmed += len(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return BLOCK
        if op == 6:
            self.mv[arg * BLOCK : (arg + 1) * BLOCK] = b"\xff" * BLOCK
            self.erases += 1
        return 0
