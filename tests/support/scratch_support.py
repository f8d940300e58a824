# Scratch folders for the plain-assert firmware tests, on both runtimes (MicroPython has no tempfile, no
# os.path, no shutil): they live under run/ at the repository root and each test removes its own.
import os
from binascii import crc32

REPO = __file__[: -len("tests/support/scratch_support.py")]


def exists(path):
    try:
        os.stat(path)
    except OSError:
        return False
    return True


def remove_tree(path):
    if not exists(path):
        return
    for name in os.listdir(path):
        child = path + "/" + name
        if os.stat(child)[0] & 0x4000:
            remove_tree(child)
        else:
            os.remove(child)
    os.rmdir(path)


def scratch(name, in_memory=False):
    """A fresh, empty folder run/test-<name>. in_memory puts it on the RAM filesystem (/dev/shm) where there is one,
    for tests that write thousands of files: a rename there takes microseconds, on a journalling disk a millisecond.
    Its name carries a checksum of the repository's path, so that checkouts side by side never share one."""
    base = REPO + "run"
    if in_memory and exists("/dev/shm"):
        base = "/dev/shm/tobs-%08x" % (crc32(REPO.encode()) & 0xFFFFFFFF)
    if not exists(base):
        os.mkdir(base)
    path = base + "/test-" + name
    remove_tree(path)
    os.mkdir(path)
    return path
