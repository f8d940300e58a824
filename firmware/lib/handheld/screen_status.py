# The flow's status overlay (key D, flow.py): unsynced records, free flash, the clock in Danish time, device and core
# ids, the configuration in use and the site's whole name; B asks the app for its heap figures. Loaded only while it
# is shown.
import handheld
import tobs_core
from handheld import const, text
from handheld.ui import fit

_ROWS = const(6)


def key(f, k):
    if k == "8":
        f.status_top = min(f.status_top + _ROWS - 1, max(0, len(_lines(f)) - _ROWS))
    elif k == "2":
        f.status_top = max(0, f.status_top - (_ROWS - 1))
    elif k == "B" and f.on_report is not None:
        f.status_note = f.on_report()
    else:
        f.overlay = None


def _lines(f):
    t, site, board = f.t, f.site, f.board
    lines = []
    if site.example:
        lines.append((t("ex_config"), True))
    if site.warning:
        lines.append((t("config_err"), True))
    lines.append((t("unsynced") % f.store.pending_count(), False))
    if f.free_bytes is not None:
        lines.append((t("free") % (f.free_bytes() // 1024), False))
    lines.append((handheld.once("localtime", "local", board.now()), False))
    valid = board.clock_valid()
    lines.append((t("clock_set") if valid else t("clock_bad"), not valid))
    lines.append((t("device"), False))
    lines.append(("".join("%02x" % b for b in board.unique_id()), False))
    lines.append((t("core") % tobs_core.CORE_ID, False))
    lines.append((t("config") % site.config_id, False))
    for line in text.wrap(site.site_name):
        lines.append((line, False))
    return lines


def draw(f):
    d = f.disp
    top, note = f.status_top, f.status_note
    d.row(0, fit(note) if note else f.t("status"), True)
    for i, (line, inverse) in enumerate(_lines(f)[top : top + _ROWS]):
        d.row(1 + i, line, inverse)
    d.text(f.t("hint_stat"), 0, 7)
