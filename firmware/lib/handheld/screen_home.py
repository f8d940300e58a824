# The flow's screens once a nurse is logged in (flow.py): the offer of a measurement she left unfinished, then the
# home screen. Home lists what needs her, each row picked with one key: saved sets whose action is still to be
# recorded, then the re-measure reminders (overdue ones first, in words and inverse, then those due within the
# hour), redrawn every minute; # starts a measurement, * asks before logging out.
import handheld
from handheld import const, text
from handheld.ui import FOLLOW_UP, RESUME, header

_ROWS = const(6)  # rows between the title and the hint; the last becomes "+n more" when they overflow


def key(f, k):
    if f.state == RESUME:
        if k == "#":
            offer = f.offer
            f.offer = None
            handheld.once("draft", "resume", f, offer)
        return  # C (discard, after asking) is the flow's; nothing else may pass the offer by
    if k == "#":
        f.new_measurement()
    elif k == "*":
        f.overlay = "logout"
    elif "1" <= k <= "9" and int(k) <= len(f.items):
        item = f.items[int(k) - 1]
        if len(item) == 2:
            f.new_measurement(item[0])  # a reminder: the patient's measurement, number already filled in
        elif not f.store.can_store():
            f.notice(f.t("store_full"))
        else:
            seq, patient, total, any_three = item
            f.clear_measurement()
            f.follow = item
            f.patient = patient
            f.guidance = f.site.guidance_for(total, any_three)
            f.go(FOLLOW_UP)
            f.board.log("recording the action for record %d, patient %d" % (seq, patient))


def _due(f, seconds, room):
    """How a reminder due in `seconds` stands, in words: 'om 25m', 'nu' (within the minute), '5t over'; within
    `room` characters, the words give way to a mark when they do not fit ('25m', '!5t')."""
    if -60 < seconds < 60:
        return f.t("due_now")
    span = text.relative(seconds, f.lang)
    words = f.t("due_in" if seconds > 0 else "due_over") % span
    if len(words) <= room:
        return words
    return span if seconds > 0 else "!" + span


def _numbered(i, patient):
    return "%d %d" % (i + 1, patient)


def draw(f):
    d = f.disp
    if f.state == RESUME:
        d.row(0, f.t("draft_head"), True)
        f.draw_lines(text.wrap(f.t("resume_q") % f.offer["patient"]), 2, 4)
        d.text(f.t("hint_resum"), 0, 7)
        return
    now = f.board.now()
    f.shown_minute = now // 60
    d.row(0, f.t("staff_head") % (f.staff or 0), True)
    lacking = f.reminders.lacking()
    row = 1
    rows = _ROWS
    if lacking:
        d.text(f.t("missing"), 0, row)
        row += 1
        rows -= 1
    due, due_total = f.reminders.first_due(now, rows)
    total = len(lacking) + due_total
    shown = total if total <= rows else rows - 1
    items = f.items = (lacking + due)[:shown]
    for i, item in enumerate(items):
        left = _numbered(i, item[1] if len(item) == 4 else item[0])
        if len(item) == 4:
            right = header(left, "%s %d" % (f.t("title"), item[2]), str(item[2]))[len(left):].lstrip()
            overdue = False
        else:
            right = _due(f, item[1] - now, text.WIDTH - 1 - len(left))
            overdue = item[1] - now <= -60
        d.row(row + i, header(left, right), overdue)
    if shown < total:
        d.text(f.t("more") % (total - shown), 0, row + shown)
    if not total:
        f.draw_lines(text.wrap(f.t("none_due")), 2, 3)
    d.text(f.t("hint_pick") % len(items) if items else f.t("hint_home"), 0, 7)
