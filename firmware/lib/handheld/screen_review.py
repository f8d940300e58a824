# The flow's screens after the last value (flow.py): the score with each value's points and the site's
# guidance, the action taken and its reason, saving the record, and the saved screen.
import tobs_core
from handheld import const, text
from handheld.store import StoreFull
from handheld.ui import ACTION, AWARENESS, FIELDS, HOME, REASON, REVIEW, SAVED, fit

_ROWS = const(5)  # rows 2-6 scroll under the patient and the big total


def score(f):
    """Score the entered set (on the way to the review) and look up the site's guidance for it."""
    v = f.values
    try:
        f.result = tobs_core.score(v["pulse"], v["resp"], v["temp"] / 10, v["sys_bp"], f.awareness, f.temp_site)
    except tobs_core.VitalError as e:
        # Every field was checked on entry, so this only guards a path that skipped one: back to it.
        f.board.log("review: %s" % text.refusal("en", e))
        f.go(e.field if e.field in FIELDS else AWARENESS)
        f.say(text.refusal(f.lang, e))
        return
    guide(f)
    f.measured_at = f.board.now()
    f.measured_ms = f.board.ticks_ms()


def guide(f):
    """The guidance level and the review's rows for the result, from the site configuration in use."""
    f.guidance = f.site.guidance_for_score(f.result)
    f.review = _review_lines(f)


def _pair(name, value, points):
    """One review row: name, value right-aligned at column 12, points in the last column."""
    return name + " " * (13 - len(name) - len(value)) + value + "%3d" % points


def _wrapped(lines, sentence, inverse):
    for line in text.wrap(sentence):
        lines.append((line, inverse))


def _review_lines(f):
    """(text, inverse) rows of the review: each value with its points, then the site's guidance."""
    result, level, lang = f.result, f.guidance, f.lang
    if result is None or level is None:
        return []
    lines = []
    for field in FIELDS:
        value = f.values[field]
        shown = text.temp(value, lang) if field == "temp" else str(value)
        lines.append((_pair(f.t("s_" + field), shown, result.points[field]), False))
        if field == "temp":
            site = text.label(lang, f.temp_site)
            if f.temp_site != "rectal":
                site += " = " + text.temp(result.temp_scored_tenths, lang)
            lines.append((fit(" " + site), False))
    lines.append((_pair(f.t("s_" + AWARENESS), "", result.points[AWARENESS]), False))
    lines.append((fit(" " + text.awareness(lang, f.awareness)), False))
    urgent = level["escalate"]
    _wrapped(lines, level["text"], urgent)
    call = level.get("call")
    if call:
        _wrapped(lines, f.t("call") % call["who"], urgent)
        lines.append((fit(f.t("phone") % call["number"]), urgent))
    if level["remeasure_min"]:
        _wrapped(lines, f.t("remeasure") % text.duration(level["remeasure_min"], lang), False)
    return lines


# ---- keys -----------------------------------------------------------------------------------------------
def key(f, k):
    state = f.state
    if state == REVIEW:
        _key_review(f, k)
    elif state == ACTION:
        _key_action(f, k)
    elif state == REASON:
        _key_reason(f, k)
    elif k == "#":  # saved: the next patient
        f.new_measurement()
    elif k == "*":
        f.clear_measurement()
        f.go(HOME)


def _key_review(f, k):
    if k == "8":
        f.top = min(f.top + _ROWS - 1, max(0, len(f.review) - _ROWS))
    elif k == "2":
        f.top = max(0, f.top - (_ROWS - 1))
    elif k == "*":
        f.step(-1)
    elif k == "#":
        if not f.store.can_store():
            f.notice(f.t("store_full"))
        else:
            f.go(ACTION)


def _key_action(f, k):
    level = f.guidance or {}
    if f.menu_choice(k, f.site.actions):
        return
    if k == "*":
        f.go(REVIEW)
    elif k == "#":
        if f.choice is None:
            if level.get("document"):
                f.msg = [f.t("act_need")]
                return
            f.action = 0
        else:
            code, _, observe = f.site.actions[f.choice]
            f.action = code
            if observe and level.get("escalate"):
                f.go(REASON)
                return
        f.reason = 0
        _finish(f)


def _key_reason(f, k):
    if f.menu_choice(k, f.site.reasons):
        return
    if k == "*":
        f.go(ACTION)
    elif k == "#":
        if f.choice is None:
            f.msg = [f.t("why_need")]
            return
        f.reason = f.site.reasons[f.choice][0]
        _finish(f)


def _finish(f):
    if save(f):
        f.go(SAVED)


# ---- saving ---------------------------------------------------------------------------------------------
def _record(f):
    v = f.values
    result = f.result
    assert result is not None and f.staff is not None and f.patient is not None
    return {
        "measured_at": f.measured_at, "clock_valid": f.board.clock_valid(),
        "boot_count": f.store.boot_count, "ms_since_boot": f.measured_ms,
        "device_id": f.board.unique_id(), "staff": f.staff, "patient": f.patient,
        "pulse": v["pulse"], "resp": v["resp"], "temp_raw": v["temp"], "temp_site": f.temp_site,
        "sys_bp": v["sys_bp"], "awareness": f.awareness, "points": result.points, "total": result.total,
        "core_id": tobs_core.CORE_ID, "config_id": f.site.config_id,
        "action": f.action, "reason": f.reason,
    }


def save(f):
    """Append the record; on failure say why and keep the entry on screen. True when saved."""
    record = _record(f)
    try:
        seq = f.store.append(record)
    except StoreFull:
        f.notice(f.t("store_full"))
        return False
    except (OSError, ValueError) as e:
        f.board.log("save failed: %r" % (e,))
        f.notice(f.t("save_fail"))
        return False
    f.board.log("saved record %d for patient %d, total %d" % (seq, f.patient, record["total"]))
    try:
        f.reminders.saved(f.patient, f.measured_at, f.guidance)
    except OSError as e:
        # The record is safe; the reminder file is rebuilt from the records at the next start.
        f.board.log("reminder not saved: %r" % (e,))
    return True


# ---- drawing --------------------------------------------------------------------------------------------
def draw(f):
    state = f.state
    if state == REVIEW:
        _draw_review(f)
    elif state == ACTION:
        required = bool(f.guidance and f.guidance.get("document"))
        f.draw_menu(f.t("act_title") if required else f.t("act_opt"), [label for _, label, _ in f.site.actions])
    elif state == REASON:
        f.draw_menu(f.t("why_title"), [label for _, label, _ in f.site.reasons])
    else:
        _draw_saved(f)


def _draw_review(f):
    d = f.disp
    result = f.result
    if result is None:
        return
    d.text(f.t("pt_head") % f.patient, 0, 0)
    d.text(f.t("total"), 0, 1)
    total = str(result.total)
    d.big(total, text.WIDTH - 2 * len(total), 0)
    for i, (line, inverse) in enumerate(f.review[f.top : f.top + _ROWS]):
        d.row(2 + i, line, inverse)
    d.text(f.t("hint_rev"), 0, 7)


def _draw_saved(f):
    d = f.disp
    d.row(0, f.t("saved"), True)
    d.text(f.t("pt_head") % f.patient, 0, 1)
    d.text("%s %d" % (f.t("title"), f.result.total if f.result else 0), 0, 2)
    item = f.site.action(f.action)
    if item is not None:
        d.text(item[1], 0, 3)
    due = f.reminders.due_at(f.patient)
    minutes = f.guidance["remeasure_min"] if f.guidance else 0
    if minutes and due is not None:
        f.draw_lines(text.wrap(f.t("remeasure") % text.duration(minutes, f.lang)), 4, 2)
    else:
        d.text(f.t("no_remind"), 0, 4)
    d.text(f.t("hint_saved"), 0, 7)
