# Scratch folders for the plain-assert firmware tests, on both runtimes (MicroPython has no tempfile, no
# os.path, no shutil): they live under run/ at the repository root and each test removes its own.
import os

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


def scratch(name):
    """A fresh, empty folder run/test-<name>."""
    if not exists(REPO + "run"):
        os.mkdir(REPO + "run")
    path = REPO + "run/test-" + name
    remove_tree(path)
    os.mkdir(path)
    return path
