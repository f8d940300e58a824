# The typing screens of the flow (flow.py): staff number and PIN, the patient number, the four values, the
# awareness menu, and the confirm-a-3 question. Each value is checked with tobs_core when it is confirmed.
import tobs_core
from handheld import text
from handheld.ui import AWARENESS, FIELDS, HOME, PATIENT, PIN, START, STEPS, header

MAX_DIGITS = {START: 8, PIN: 8, PATIENT: 8, "pulse": 3, "resp": 3, "temp": 3, "sys_bp": 3}


def key(f, k):
    if f.overlay == "confirm3":
        _key_confirm3(f, k)
        return
    state = f.state
    if state == AWARENESS:
        _key_awareness(f, k)
    elif state == "temp" and k == "A":
        sites = [name for name, _ in tobs_core.TEMP_SITES]
        f.temp_site = sites[(sites.index(f.temp_site) + 1) % len(sites)]
        f.msg = None
    elif not _edit(f, k):
        # * on an empty field: one step back (from the first screen there is nowhere to go).
        if state == PIN:
            f.go(START)
        elif state == PATIENT:
            f.clear_measurement()
            f.go(HOME)
        elif state != START:
            f.step(-1)
    elif k == "#":
        if state == START:
            _submit_staff(f)
        elif state == PIN:
            _submit_pin(f)
        elif state == PATIENT:
            _submit_patient(f)
        else:
            _submit_field(f, state)


def _edit(f, k):
    """Digits and * on the text entry. False only for * on an empty field, where the caller goes back."""
    if "0" <= k <= "9":
        if len(f.entry) < MAX_DIGITS[f.state]:
            f.entry += k
        f.msg = None
    elif k == "*":
        if not f.entry:
            return False
        f.entry = f.entry[:-1]
        f.msg = None
    return True


def _submit_staff(f):
    if not f.entry:
        f.say(f.t("need_staff"))
    elif not f.site.has_staff(int(f.entry)):
        f.say(f.t("no_staff"))
        f.entry = ""
    else:
        f.candidate = int(f.entry)
        f.go(PIN)


def _submit_pin(f):
    if not f.entry:
        f.say(f.t("enter_pin"))
    elif f.site.check_pin(f.candidate, f.entry):
        f.staff = f.candidate
        f.go(HOME)
    else:
        f.board.log("wrong PIN for staff %d" % f.candidate)
        f.say(f.t("wrong_pin"))
        f.entry = ""


def _submit_patient(f):
    if not f.entry:
        f.say(f.t("need_pt"))
    elif int(f.entry) == 0:
        f.say(f.t("pt_zero"))
    else:
        f.patient = int(f.entry)
        f.step(1)


def _submit_field(f, field):
    if not f.entry:
        f.say(f.t("need_value"))
        return
    value = int(f.entry)
    try:
        # The temperature is typed in tenths (3 7 5 = 37,5); tobs_core takes degrees.
        points = tobs_core.points_for(field, value / 10 if field == "temp" else value, f.temp_site)
    except tobs_core.RectalRequired:
        offset = [o for name, o in tobs_core.TEMP_SITES if name == f.temp_site][0]
        f.say(f.t("rectal_now") % text.temp(value + offset, f.lang))
        f.temp_site = "rectal"
        f.entry = ""
        return
    except tobs_core.VitalError as e:
        f.say(text.refusal(f.lang, e))
        return
    _accept_or_ask(f, field, value, points)


def _accept_or_ask(f, field, value, points):
    if points == 3:
        # Typo guard: a value worth 3 points is accepted only when the nurse confirms it.
        f.overlay = "confirm3"
        f.pending = (field, value)
    else:
        _accept(f, field, value)


def _accept(f, field, value):
    if field == AWARENESS:
        f.awareness = value
    else:
        f.values[field] = value
    f.step(1)


def _key_awareness(f, k):
    codes = tobs_core.AWARENESS
    if f.menu_choice(k, codes):
        return
    if k == "*":
        f.step(-1)
    elif k == "#":
        if f.choice is None:
            f.msg = [f.t("choose") % len(codes)]
            return
        code = codes[f.choice][0]
        _accept_or_ask(f, AWARENESS, code, tobs_core.points_for(AWARENESS, code))


def _key_confirm3(f, k):
    if k == "#" or k == "*":
        field, value = f.pending
        f.overlay = None
        if k == "#":
            _accept(f, field, value)
        elif field == AWARENESS:
            f.choice = None
        else:
            f.entry = ""


# ---- drawing --------------------------------------------------------------------------------------------
def draw(f):
    if f.overlay == "confirm3":
        _draw_confirm3(f)
    elif f.state == AWARENESS:
        labels = [text.awareness(f.lang, code) for code, _ in tobs_core.AWARENESS]
        f.draw_menu(_field_header(f, AWARENESS), labels)
    else:
        _draw_entry(f)


def _shown_entry(f):
    if f.state == PIN:
        return "*" * len(f.entry)
    if f.state == "temp" and f.entry:
        return text.temp(int(f.entry), f.lang)
    return f.entry


def _field_header(f, field):
    step = "%d/%d" % (STEPS.index(field), len(FIELDS) + 1)
    left = text.label(f.lang, field) if field == AWARENESS else f.t("pt_head") % f.patient
    return header(left, step)


def _field_label(f, field):
    if field == "temp":
        return f.t("temp_label") % text.label(f.lang, f.temp_site)
    name = text.label(f.lang, field)
    unit = text.unit(field)
    return name + " " + unit if len(name) + 1 + len(unit) <= text.WIDTH else name


def _draw_entry(f):
    d = f.disp
    state = f.state
    shown = _shown_entry(f)
    if len(f.entry) < MAX_DIGITS[state]:
        shown += "_"
    if state == START:
        title = f.t("title") + ("  " + f.t("example") if f.site.example else "")
        d.row(0, title, True)
        f.draw_lines(f.msg or text.wrap(f.t("disclaimer")), 1, 3)
        d.text(f.t("staff_ask"), 0, 4)
        d.big(shown, 0, 5)
        d.text(f.t("hint_start"), 0, 7)
        return
    if state == PIN:
        top, label, hint = f.t("staff_head") % f.candidate, f.t("pin_prompt"), "hint_pin"
    elif state == PATIENT:
        top, label, hint = f.t("new_meas"), f.t("pt_ask"), "hint_entry"
    else:
        top, label = _field_header(f, state), _field_label(f, state)
        hint = "hint_temp" if state == "temp" else "hint_entry"
    d.row(0, top, True)
    d.text(label, 0, 1)
    d.big(shown, 0, 2)
    f.draw_lines(f.msg or [], 4, 3)
    d.text(f.t(hint), 0, 7)


def _draw_confirm3(f):
    d = f.disp
    field, value = f.pending
    d.row(0, _field_header(f, field), True)
    if field == AWARENESS:
        d.text(text.awareness(f.lang, value), 0, 2)
    else:
        d.text(_field_label(f, field), 0, 1)
        d.big(text.temp(value, f.lang) if field == "temp" else str(value), 0, 2)
    d.row(4, f.t("confirm3"), True)
    d.text(f.t("confirm3_q"), 0, 5)
    d.text(f.t("hint_conf3"), 0, 7)
