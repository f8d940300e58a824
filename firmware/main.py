# The device's entry point: choose the board, then hand over to the app. Only this file and the board
# files know which board they run on.
import sys

if sys.platform == "rp2":
    import board_pico as board
else:
    import board_sim as board

from handheld import app

app.run(board)
