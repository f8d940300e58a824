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


def once(name, function, *args):
    """Import handheld.<name>, call its function with args, and unload every handheld module that import brought
    in: code needed once per start (reading the site configuration) does not stay in the heap. A module the result
    is made of (its class) must be imported before, so that it stays."""
    before = [key for key in sys.modules if key.startswith("handheld.")]
    module = __import__("handheld." + name, None, None, [function])
    try:
        return getattr(module, function)(*args)
    finally:
        module = None
        for key in [key for key in sys.modules if key.startswith("handheld.") and key not in before]:
            unload(key[len("handheld."):])


def unload(name):
    """Forget the module handheld.<name> so its code can be collected once nothing else refers to it."""
    sys.modules.pop("handheld." + name, None)
    # A loaded submodule is also an attribute of this package; that reference would keep it alive.
    globals().pop(name, None)
