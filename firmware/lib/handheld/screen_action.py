# The flow's screens after the review (flow.py): the action taken and its reason, each picked with one key;
# saving the record; the saved screen, from which a # or the next patient's number starts the next measurement; and
# the action recorded later, as a follow-up record, for a saved set that lacks it (picked on the home screen).
import tobs_core
from handheld import text
from handheld.store import StoreFull
from handheld.ui import ACTION, FOLLOW_UP, FOLLOW_WHY, HOME, REASON, REVIEW, SAVED


# ---- keys -----------------------------------------------------------------------------------------------
def key(f, k):
    state = f.state
    if state == ACTION or state == FOLLOW_UP:
        _key_action(f, k)
    elif state == REASON or state == FOLLOW_WHY:
        _key_reason(f, k)
    elif k == "#":  # saved: the next patient
        f.new_measurement()
    elif "0" <= k <= "9":  # saved: typing the next patient's number starts it
        f.new_measurement()
        if f.state == "patient":
            f.entry = k
    elif k == "*":
        f.clear_measurement()
        f.go(HOME)


def _key_action(f, k):
    level = f.guidance or {}
    follow = f.state == FOLLOW_UP
    if k == "*":
        if follow:
            f.clear_measurement()
            f.go(HOME)
        else:
            f.go(REVIEW)
        return
    if f.menu_choice(k, f.site.actions):
        pass  # one key chooses and goes on
    elif k != "#":
        return
    elif f.choice is None:
        if level.get("document") or follow:
            f.msg = [f.t("act_need")]
            return
        f.action = 0
        f.reason = 0
        _finish(f)
        return
    code, _, observe = f.site.actions[f.choice]
    f.action = code
    f.reason = 0
    if observe and level.get("escalate"):
        f.go(FOLLOW_WHY if follow else REASON)
        return
    _finish(f)


def _key_reason(f, k):
    if k == "*":
        action = f.action
        f.go(FOLLOW_UP if f.state == FOLLOW_WHY else ACTION)
        f.choice = [code for code, _, _ in f.site.actions].index(action)
        return
    if f.menu_choice(k, f.site.reasons):
        pass
    elif k != "#":
        return
    elif f.choice is None:
        f.msg = [f.t("why_need")]
        return
    f.reason = f.site.reasons[f.choice][0]
    _finish(f)


def _finish(f):
    saved = save_follow_up(f) if f.follow is not None else save(f)
    if saved:
        f.go(SAVED)


# ---- saving ---------------------------------------------------------------------------------------------
def _common(f):
    return {
        "clock_valid": f.board.clock_valid(), "boot_count": f.store.boot_count, "device_id": f.board.unique_id(),
        "staff": f.staff, "patient": f.patient, "core_id": tobs_core.CORE_ID, "config_id": f.site.config_id,
        "action": f.action, "reason": f.reason,
    }


def _record(f):
    v = f.values
    result = f.result
    assert result is not None and f.staff is not None and f.patient is not None
    record = _common(f)
    record.update({
        "measured_at": f.measured_at, "ms_since_boot": f.measured_ms,
        "pulse": v["pulse"], "resp": v["resp"], "temp_raw": v["temp"], "temp_site": f.temp_site,
        "sys_bp": v["sys_bp"], "awareness": f.awareness, "points": result.points, "total": result.total,
        # The site wanted the action documented and none was: the home screen asks for it until it is recorded.
        "action_missing": bool(f.action == 0 and f.guidance and f.guidance["document"]),
    })
    return record


def _append(f, record):
    try:
        return f.store.append(record)
    except StoreFull:
        f.notice(f.t("store_full"))
    except (OSError, ValueError, MemoryError) as e:
        # Nothing half-written stays in the log (store.py): the entry stays on screen to be saved again.
        f.board.log("save failed: %r" % (e,))
        f.notice(f.t("save_fail"))
    return None


def save(f):
    """Append the record; on failure say why and keep the entry on screen. True when saved."""
    record = _record(f)
    seq = _append(f, record)
    if seq is None:
        return False
    f.board.log("saved record %d for patient %d, total %d" % (seq, f.patient, record["total"]))
    f.drop_draft()
    lacking = (seq, record["total"], f.result.any_three) if record["action_missing"] else None
    try:
        f.reminders.saved(f.patient, f.measured_at, f.guidance, lacking)
    except OSError as e:
        # The record is safe; the reminder file is rebuilt from the records at the next start.
        f.board.log("reminder not saved: %r" % (e,))
    return True


def save_follow_up(f):
    """Append the follow-up record naming the action taken for the saved set; True when saved."""
    seq, _, total, _ = f.follow
    record = _common(f)
    record.update({"measured_at": f.board.now(), "ms_since_boot": f.board.ticks_ms(), "follow_up": seq})
    saved = _append(f, record)
    if saved is None:
        return False
    f.board.log("saved record %d: action %d for record %d, patient %d" % (saved, f.action, seq, f.patient))
    try:
        f.reminders.followed_up(seq)
    except OSError as e:
        f.board.log("reminder not saved: %r" % (e,))
    return True


# ---- drawing --------------------------------------------------------------------------------------------
def draw(f):
    state = f.state
    if state == ACTION:
        required = bool(f.guidance and f.guidance.get("document"))
        f.draw_menu(f.t("act_title") if required else f.t("act_opt"), [label for _, label, _ in f.site.actions],
                    "hint_menu" if required else "hint_opt")
    elif state == FOLLOW_UP:
        title = f.t("fu_title") % f.patient
        f.draw_menu(title if len(title) <= text.WIDTH else f.t("pt_head") % f.patient,
                    [label for _, label, _ in f.site.actions])
    elif state == REASON or state == FOLLOW_WHY:
        f.draw_menu(f.t("why_title"), [label for _, label, _ in f.site.reasons])
    else:
        _draw_saved(f)


def _draw_saved(f):
    d = f.disp
    d.row(0, f.t("saved"), True)
    d.text(f.t("pt_head") % f.patient, 0, 1)
    total = f.result.total if f.result is not None else (f.follow[2] if f.follow else 0)
    d.text("%s %d" % (f.t("title"), total), 0, 2)
    item = f.site.action(f.action)
    if item is not None:
        d.text(item[1], 0, 3)
    due = f.reminders.due_at(f.patient)
    minutes = f.guidance["remeasure_min"] if f.guidance else 0
    if f.follow is None and minutes and due is not None:
        f.draw_lines(text.wrap(f.t("remeasure") % text.duration(minutes, f.lang)), 4, 2)
    elif f.follow is None:
        d.text(f.t("no_remind"), 0, 4)
    d.text(f.t("hint_saved"), 0, 7)
