# The handheld without a usable site configuration (app.py loads this only then): the screen says nobody can log
# in, and the link still serves the PC. Returns what app._run returns: True to start again with a pushed file.
import micropython

from handheld import text


def run(board, display, store, problem):
    """No usable site configuration: nobody can log in (the example's published PINs never stand in for a site's
    broken file), the screen says so, and the link still serves the PC, so the records go to the register and IT
    can push a good file (the app then starts again with it). Returns what _run returns."""
    display.clear()
    lines = text.wrap(text.get("da", "no_config"))
    for i in range(min(len(lines), 8)):
        display.text(lines[i], 0, i)
    display.flush()
    from handheld.commands import SerialCommands

    micropython.kbd_intr(-1)  # pyright: ignore[reportAttributeAccessIssue]
    link = SerialCommands(board, store, status=lambda: {"site_id": None, "config_id": None, "config_error": problem})
    while not (link.wants_repl or link.config_pushed):
        link.poll()
        board.read_key()  # a key does nothing here but is taken, so none waits for a configuration to arrive
        board.idle()
        board.sleep_ms(10)
    if link.config_pushed:
        return True
    micropython.kbd_intr(3)  # pyright: ignore[reportAttributeAccessIssue]
    board.log("leaving the app for the REPL")
    return False
