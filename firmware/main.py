# The device's entry point: choose the board, then hand over to the app. Only this file and the board
# files know which board they run on.
import sys

if sys.platform == "rp2":
    import board_pico as board
else:
    import board_sim as board

try:
    # Only in test builds (deploy with test_build=True, from firmware/testbuild): key injection, screen read-back.
    import testhooks  # pyright: ignore[reportMissingImports]
except ImportError:
    testhooks = None  # a production image: the link knows no test commands
if testhooks is not None:
    testhooks.install(board)

from handheld import app

app.run(board)
