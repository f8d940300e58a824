# The handheld app's package. unload() lets a module that is used only now and then (the sync link, the
# status screen, one group of screens, a language's strings) leave the heap: the next import loads it afresh.
import sys

# The handheld's modules take const from here (from handheld import const): MicroPython's compiler folds every
# `_NAME = const(value)` at compile time whatever module the name came from, and CPython (tests) gets the value.
try:
    from micropython import const
except ImportError:

    def const(x):
        return x


def unload(name):
    """Forget the module handheld.<name> so its code can be collected once nothing else refers to it."""
    sys.modules.pop("handheld." + name, None)
    # A loaded submodule is also an attribute of this package; that reference would keep it alive.
    globals().pop(name, None)
