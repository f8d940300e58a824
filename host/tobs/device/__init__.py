"""The handheld as the PC reaches it: the link (framing, errors), finding its USB port, and the virtual targets
that stand in for a Pico (the firmware on MicroPython's unix port today), all behind one small interface."""
