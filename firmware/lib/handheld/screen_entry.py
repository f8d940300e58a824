# The typing screens of the flow (flow.py): staff number and PIN, the patient number, the four values, the
# awareness menu, and the confirm-a-3 question. Each value is checked with tobs_core when it is confirmed; a value
# field that cannot take another digit is confirmed by itself, and a refused value stays selected, so the next digit
# replaces it and * clears it.
import handheld
import tobs_core
from handheld import text
from handheld.ui import AWARENESS, FIELDS, HOME, PATIENT, PIN, RESUME, START, STEPS, header

MAX_DIGITS = {START: 8, PIN: 8, PATIENT: 8, "pulse": 3, "resp": 2, "temp": 3, "sys_bp": 3}


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
    else:
        edit = _edit(f, k)
        if edit == _BACK:
            _back(f, state)
        elif k == "#":
            _submit(f, state)
        elif edit == _FILLED and state in FIELDS:
            # The field cannot take another digit: it is confirmed now, and a # right after is the nurse's OK of it.
            _submit(f, state)
            f.moved = f.board.ticks_ms()


def _back(f, state):
    # * on an empty field: one step back (from the first screen there is nowhere to go).
    if state == PIN:
        f.go(START)
    elif state == PATIENT:
        if f.values or f.awareness is not None:
            f.overlay = "cancel"  # values are entered: leaving discards them, so ask first
        else:
            f.drop_draft()
            f.clear_measurement()
            f.go(HOME)
    elif state != START:
        f.step(-1)


def _submit(f, state):
    if state == START:
        _submit_staff(f)
    elif state == PIN:
        _submit_pin(f)
    elif state == PATIENT:
        _submit_patient(f)
    else:
        _submit_field(f, state)


_BACK = 1  # * on an empty field
_FILLED = 2  # a digit filled the field


def _edit(f, k):
    """Digits and * on the text entry: _BACK for * on an empty field, _FILLED when a digit filled it."""
    full = f.t("full") % MAX_DIGITS[f.state]
    if "0" <= k <= "9":
        if f.selected:
            f.entry = k  # a refused value is replaced by what is typed now; its sentence stays until the next OK
            f.selected = False
        elif len(f.entry) < MAX_DIGITS[f.state]:
            f.entry += k
        else:
            f.msg = [full]  # and the digit goes nowhere
            return None
        if f.msg == [full]:
            f.msg = None
        return _FILLED if len(f.entry) == MAX_DIGITS[f.state] else None
    if k == "*":
        if not f.entry:
            return _BACK
        f.entry = "" if f.selected else f.entry[:-1]
        f.selected = False
        if f.msg == [full]:
            f.msg = None
    return None


def _refuse(f, sentence):
    f.say(sentence)
    f.selected = bool(f.entry)


def _submit_staff(f):
    if not f.entry:
        f.say(f.t("need_staff"))
    elif not f.site.has_staff(int(f.entry)):
        _refuse(f, f.t("no_staff"))
    else:
        f.candidate = int(f.entry)
        f.go(PIN)


def _submit_pin(f):
    if not f.entry:
        f.say(f.t("enter_pin"))
    elif f.site.check_pin(f.candidate, f.entry):
        f.staff = f.candidate
        offer = handheld.once("draft", "load", f.store.root, f.staff, f.store, f.board.log)
        f.go(HOME if offer is None else RESUME)
        f.offer = offer
    else:
        f.board.log("wrong PIN for staff %d" % f.candidate)
        f.say(f.t("wrong_pin"))
        f.entry = ""  # never kept: a PIN is typed afresh


def _submit_patient(f):
    if not f.entry:
        f.say(f.t("need_pt"))
    elif int(f.entry) == 0:
        _refuse(f, f.t("pt_zero"))
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
        # Not kept for overwriting: confirmed again it would be stored as a rectal reading, which it is not.
        f.say(f.t("rectal_now") % text.temp(value + offset, f.lang))
        f.temp_site = "rectal"
        f.entry = ""
        return
    except tobs_core.VitalError as e:
        _refuse(f, text.refusal(f.lang, e))
        return
    _accept_or_ask(f, field, value, points)


def _accept_or_ask(f, field, value, points):
    if points == 3:
        # Typo guard: a value worth 3 points is accepted only when the nurse confirms it.
        f.overlay = "confirm3"
        f.pending = (field, value)
        f.msg = None
    else:
        _accept(f, field, value)


def _accept(f, field, value):
    if field == AWARENESS:
        f.awareness = value
    else:
        f.values[field] = value
        if field == "temp":
            f.site_of_temp = f.temp_site
    f.step(1)


def _key_awareness(f, k):
    codes = tobs_core.AWARENESS
    if f.menu_choice(k, codes):
        # One key picks and moves on; a # right after it must not answer the confirm-3 question unread.
        code = codes[f.choice][0]
        _accept_or_ask(f, AWARENESS, code, tobs_core.points_for(AWARENESS, code))
        f.moved = f.board.ticks_ms() if f.overlay == "confirm3" else None
    elif k == "*":
        f.step(-1)
    elif k == "#":
        if f.choice is None:
            f.msg = [f.t("choose") % len(codes)]
            return
        code = codes[f.choice][0]
        _accept_or_ask(f, AWARENESS, code, tobs_core.points_for(AWARENESS, code))


def _key_confirm3(f, k):
    field, value = f.pending
    if k == "#":
        f.overlay = None
        _accept(f, field, value)
    elif k == "*":
        f.overlay = None
        if field == AWARENESS:
            f.choice = None
        else:
            f.entry = ""
    elif "0" <= k <= "9":
        # A digit here belongs to no field: it is refused where the nurse looks, and never carried on.
        f.msg = [f.t("conf3_key")]


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
    if len(f.entry) < MAX_DIGITS[state] and not f.selected:
        shown += "_"
    if state == START:
        title = f.t("title") + ("  " + f.t("example") if f.site.example else "")
        d.row(0, title, True)
        f.draw_lines(f.msg or text.wrap(f.t("disclaimer")), 1, 3)
        d.text(f.t("staff_ask"), 0, 4)
        d.big(shown, 0, 5, f.selected)
        d.text(f.t("hint_start"), 0, 7)
        return
    if state == PIN:
        top, label, hint = f.t("staff_head") % f.candidate, f.t("pin_prompt"), "hint_pin"
    elif state == PATIENT:
        top, label, hint = f.t("new_meas"), f.t("pt_ask"), "hint_entry"
    else:
        top, label, hint = _field_header(f, state), _field_label(f, state), "hint_entry"
    d.row(0, top, True)
    d.text(label, 0, 1)
    d.big(shown, 0, 2, f.selected)
    if f.msg:
        f.draw_lines(f.msg, 4, 3)
    elif state == "temp":
        d.text(f.t("hint_temp"), 0, 4)
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
    if f.msg:
        d.row(6, f.msg[0], True)
    d.text(f.t("hint_conf3"), 0, 7)
