# The flow's home screen (flow.py) once a nurse is logged in: who is overdue (inverse) and who is due within the
# hour, redrawn every minute; # starts a measurement, * logs out.
from handheld import const, text
from handheld.ui import header

_ROWS = const(6)  # reminder rows between the title and the hint; one becomes "+n more" when they overflow


def key(f, k):
    if k == "#":
        f.new_measurement()
    elif k == "*":
        f.logout()


def draw(f):
    d = f.disp
    now = f.board.now()
    f.shown_minute = now // 60
    d.row(0, f.t("staff_head") % (f.staff or 0), True)
    rows, total = f.reminders.first_due(now, _ROWS)
    if not total:
        f.draw_lines(text.wrap(f.t("none_due")), 2, 3)
    shown = len(rows) if total <= _ROWS else _ROWS - 1
    for i in range(shown):
        patient, due = rows[i]
        # Overdue rows are inverse.
        d.row(1 + i, header(f.t("pt_head") % patient, text.relative(due - now, f.lang)), due <= now)
    if shown < total:
        d.text(f.t("more") % (total - shown), 0, 6)
    d.text(f.t("hint_home"), 0, 7)
