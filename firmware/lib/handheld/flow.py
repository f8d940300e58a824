# The nurse's screen flow: a state machine fed one key at a time that draws the 16x8 text screen. Each value is
# checked with tobs_core when it is confirmed, the set is scored at review, and the record goes to the store.
#
# Keys: digits enter numbers, # is OK, * deletes a digit (on an empty field: back one step), A cycles the
# temperature site, C cancels the measurement (after a yes/no), D shows the status screen.
import time

import tobs_core
from handheld import text
from handheld.store import StoreFull

# MicroPython's ticks wrap around and must be compared with ticks_diff; CPython (tests) has plain integers.
_TICKS_DIFF = getattr(time, "ticks_diff", None)


def ticks_diff(a, b):
    return _TICKS_DIFF(a, b) if _TICKS_DIFF is not None else a - b


START = "start"
PIN = "pin"
HOME = "home"
PATIENT = "patient"
AWARENESS = "awareness"
REVIEW = "review"
ACTION = "action"
REASON = "reason"
SAVED = "saved"

FIELDS = ("pulse", "resp", "temp", "sys_bp")
# The entry steps in order; * on an empty field goes one to the left, # one to the right.
STEPS = (PATIENT,) + FIELDS + (AWARENESS, REVIEW)
MEASURING = STEPS + (ACTION, REASON)
MAX_DIGITS = {START: 8, PIN: 8, PATIENT: 8, "pulse": 3, "resp": 3, "temp": 3, "sys_bp": 3}
REVIEW_ROWS = 5  # rows 2-6 scroll under the patient and the big total
STATUS_ROWS = 6


def _fit(s):
    return s[: text.WIDTH]


def _header(left, right):
    return left + " " * (text.WIDTH - len(left) - len(right)) + right


def _pair(name, value, points):
    """One review row: name, value right-aligned at column 12, points in the last column."""
    return name + " " * (13 - len(name) - len(value)) + value + "%3d" % points


class Flow:
    """Feed it keys (key) and time (tick); it draws on `display` and sets .dirty when the screen changed.
    `board` gives ticks_ms, now, clock_valid, unique_id and log; `free_bytes()` the free flash for the status
    screen; `on_report()` is called by B on the status screen and returns one line to show."""

    def __init__(self, display, store, site, board, reminders, free_bytes=None, on_report=None):
        self.disp = display
        self.store = store
        self.site = site
        self.board = board
        self.reminders = reminders
        self.free_bytes = free_bytes
        self.on_report = on_report
        self.lang = site.language
        self.dirty = False
        self.shown_minute = None
        self.last_key = board.ticks_ms()
        self._keys = {
            START: self._key_start, PIN: self._key_pin, HOME: self._key_home, PATIENT: self._key_patient,
            AWARENESS: self._key_awareness, REVIEW: self._key_review, ACTION: self._key_action,
            REASON: self._key_reason, SAVED: self._key_saved,
        }
        self._logout()
        self.render()

    def t(self, key):
        return text.get(self.lang, key)

    def set_site(self, site):
        """A new site configuration (e.g. pushed by the sync) takes effect at once; a scored entry is guided
        by the new bands, so its record's config_id names the configuration that guided it."""
        self.site = site
        self.lang = site.language
        self.reminders.site = site
        if self.result is not None:
            self.band = site.guidance(self.result)
            self.review = self._review_lines()
        self.render()

    # ---- state ------------------------------------------------------------------------------------------
    def _logout(self):
        self.state = START
        self.staff = None
        self.candidate = None
        self.entry = ""
        self.msg = None
        self.overlay = None  # "confirm3", "cancel", "notice" or "status", drawn over the current state
        self.pending = (None, None)  # (field, value) waiting for the confirm-3 answer
        self.notice = []
        self.status_top = 0
        self.status_note = None
        self._clear_measurement()

    def _clear_measurement(self):
        self.patient = None
        self.values = {}
        self.temp_site = "rectal"
        self.awareness = None
        self.choice = None
        self.result = None
        self.band = None
        self.review = []  # the review's (text, inverse) rows, built once per scoring
        self.action = 0
        self.reason = 0
        self.top = 0

    def _go(self, state, entry=""):
        self.state = state
        self.entry = entry
        self.msg = None
        self.choice = None
        self.top = 0

    def _say(self, sentence):
        self.msg = text.wrap(sentence)

    def _notice(self, sentence):
        self.overlay = "notice"
        self.notice = text.wrap(sentence)

    # ---- input ------------------------------------------------------------------------------------------
    def key(self, k):
        self.last_key = self.board.ticks_ms()
        if self.overlay is not None:
            self._key_overlay(k)
        elif k == "D":
            self.overlay = "status"
            self.status_top = 0
            self.status_note = None
        elif k == "C" and self.state in MEASURING:
            self.overlay = "cancel"
        elif self.state in FIELDS:
            self._key_field(k)
        else:
            self._keys[self.state](k)
        self.render()

    def tick(self):
        """Idle logout, and the home screen's minute refresh. Returns True when it redrew."""
        idle = ticks_diff(self.board.ticks_ms(), self.last_key)
        busy = self.state != START or self.entry or self.overlay is not None or self.msg
        if busy and idle >= self.site.idle_ms:
            self._idle_logout()
            self.render()
            return True
        if self.state == HOME and self.overlay is None and self.board.now() // 60 != self.shown_minute:
            self.render()
            return True
        return False

    def _idle_logout(self):
        if self.state in (ACTION, REASON):
            # The nurse already pressed save on the review: keep the measurement, with no action recorded.
            self.action = self.reason = 0
            if self._save():
                self.board.log("idle logout: patient %d saved without an action" % self.patient)
            else:
                self.board.log("idle logout: patient %d could not be saved" % self.patient)
        elif self.state in MEASURING:
            self.board.log("idle logout: unsaved entry discarded")
        self._logout()

    def _edit(self, k):
        """Digits and * on the text entry. False only for * on an empty field, where the caller goes back."""
        if "0" <= k <= "9":
            if len(self.entry) < MAX_DIGITS[self.state]:
                self.entry += k
            self.msg = None
        elif k == "*":
            if not self.entry:
                return False
            self.entry = self.entry[:-1]
            self.msg = None
        return True

    def _key_start(self, k):
        # * on an empty staff number does nothing: this is already the first screen.
        if self._edit(k) and k == "#":
            self._submit_staff()

    def _submit_staff(self):
        if not self.entry:
            self._say(self.t("enter_staff"))
        elif not self.site.has_staff(int(self.entry)):
            self._say(self.t("unknown_staff"))
            self.entry = ""
        else:
            self.candidate = int(self.entry)
            self._go(PIN)

    def _key_pin(self, k):
        if not self._edit(k):
            self._go(START)
        elif k == "#":
            if not self.entry:
                self._say(self.t("enter_pin"))
            elif self.site.check_pin(self.candidate, self.entry):
                self.staff = self.candidate
                self._go(HOME)
            else:
                self.board.log("wrong PIN for staff %d" % self.candidate)
                self._say(self.t("wrong_pin"))
                self.entry = ""

    def _key_home(self, k):
        if k == "#":
            self._new_measurement()
        elif k == "*":
            self._logout()

    def _new_measurement(self):
        # Refuse before any vitals are typed, so a full store never costs a nurse a finished entry.
        if not self.store.can_store():
            self._go(HOME)
            self._notice(self.t("store_full"))
            return
        self._clear_measurement()
        self._go(PATIENT)

    def _key_patient(self, k):
        if not self._edit(k):
            self._clear_measurement()
            self._go(HOME)
        elif k == "#":
            if not self.entry:
                self._say(self.t("enter_patient"))
            elif int(self.entry) == 0:
                self._say(self.t("patient_zero"))
            else:
                self.patient = int(self.entry)
                self._step(1)

    def _step(self, direction):
        """Move one entry step left or right, showing any value already entered there for editing."""
        i = STEPS.index(self.state) + direction
        state = STEPS[i] if 0 <= i < len(STEPS) else HOME
        self._go(state)
        if state == PATIENT:
            self.entry = str(self.patient)
        elif state in FIELDS and state in self.values:
            self.entry = str(self.values[state])
        elif state == AWARENESS and self.awareness is not None:
            self.choice = [code for code, _ in tobs_core.AWARENESS].index(self.awareness)
        elif state == REVIEW:
            self._score()

    def _key_field(self, k):
        field = self.state
        if field == "temp" and k == "A":
            sites = [name for name, _ in tobs_core.TEMP_SITES]
            self.temp_site = sites[(sites.index(self.temp_site) + 1) % len(sites)]
            self.msg = None
        elif not self._edit(k):
            self._step(-1)
        elif k == "#":
            self._submit_field(field)

    def _submit_field(self, field):
        if not self.entry:
            self._say(self.t("enter_value"))
            return
        value = int(self.entry)
        try:
            # The temperature is typed in tenths (3 7 5 = 37,5); tobs_core takes degrees.
            points = tobs_core.points_for(field, value / 10 if field == "temp" else value, self.temp_site)
        except tobs_core.RectalRequired:
            offset = [o for name, o in tobs_core.TEMP_SITES if name == self.temp_site][0]
            self._say(self.t("rectal_now") % text.temp(value + offset, self.lang))
            self.temp_site = "rectal"
            self.entry = ""
            return
        except tobs_core.VitalError as e:
            self._say(e.message(self.lang))
            return
        if points == 3:
            self._ask_confirm3(field, value)
        else:
            self._accept(field, value)

    def _ask_confirm3(self, field, value):
        # Typo guard: a value worth 3 points is accepted only when the nurse confirms it.
        self.overlay = "confirm3"
        self.pending = (field, value)

    def _accept(self, field, value):
        if field == AWARENESS:
            self.awareness = value
        else:
            self.values[field] = value
        self._step(1)

    def _key_awareness(self, k):
        codes = tobs_core.AWARENESS
        if "1" <= k <= "9" and int(k) <= len(codes):
            self.choice = int(k) - 1
            self.msg = None
        elif k == "*":
            self._step(-1)
        elif k == "#":
            if self.choice is None:
                self.msg = [self.t("choose") % len(codes)]
                return
            code = codes[self.choice][0]
            if tobs_core.points_for(AWARENESS, code) == 3:
                self._ask_confirm3(AWARENESS, code)
            else:
                self._accept(AWARENESS, code)

    # ---- review and save --------------------------------------------------------------------------------
    def _score(self):
        v = self.values
        try:
            self.result = tobs_core.score(v["pulse"], v["resp"], v["temp"] / 10, v["sys_bp"], self.awareness,
                                          self.temp_site)
        except tobs_core.VitalError as e:
            # Every field was checked on entry, so this only guards a path that skipped one: back to it.
            self.board.log("review: %s" % e.message("en"))
            self._go(e.field if e.field in FIELDS else AWARENESS)
            self._say(e.message(self.lang))
            return
        self.band = self.site.guidance(self.result)
        self.review = self._review_lines()
        self.measured_at = self.board.now()
        self.measured_ms = self.board.ticks_ms()

    def _key_review(self, k):
        if k == "8":
            self.top = min(self.top + REVIEW_ROWS - 1, max(0, len(self.review) - REVIEW_ROWS))
        elif k == "2":
            self.top = max(0, self.top - (REVIEW_ROWS - 1))
        elif k == "*":
            self._step(-1)
        elif k == "#":
            if not self.store.can_store():
                self._notice(self.t("store_full"))
            else:
                self._go(ACTION)

    def _menu_choice(self, k, items):
        if "1" <= k <= "9" and int(k) <= len(items):
            self.choice = int(k) - 1
            self.msg = None
            return True
        return False

    def _key_action(self, k):
        band = self.band or {}
        if self._menu_choice(k, self.site.actions):
            return
        if k == "*":
            self._go(REVIEW)
        elif k == "#":
            if self.choice is None:
                if band.get("document"):
                    self.msg = [self.t("action_required")]
                    return
                self.action = 0
            else:
                item = self.site.actions[self.choice]
                self.action = item["code"]
                if item.get("observe") and band.get("escalate"):
                    self._go(REASON)
                    return
            self.reason = 0
            self._finish()

    def _key_reason(self, k):
        if self._menu_choice(k, self.site.reasons):
            return
        if k == "*":
            self._go(ACTION)
        elif k == "#":
            if self.choice is None:
                self.msg = [self.t("reason_required")]
                return
            self.reason = self.site.reasons[self.choice]["code"]
            self._finish()

    def _finish(self):
        if self._save():
            self._go(SAVED)

    def _record(self):
        v = self.values
        result = self.result
        assert result is not None and self.staff is not None and self.patient is not None
        return {
            "measured_at": self.measured_at, "clock_valid": self.board.clock_valid(),
            "boot_count": self.store.boot_count, "ms_since_boot": self.measured_ms,
            "device_id": self.board.unique_id(), "staff": self.staff, "patient": self.patient,
            "pulse": v["pulse"], "resp": v["resp"], "temp_raw": v["temp"], "temp_site": self.temp_site,
            "sys_bp": v["sys_bp"], "awareness": self.awareness, "points": result.points, "total": result.total,
            "core_id": tobs_core.CORE_ID, "config_id": self.site.config_id,
            "action": self.action, "reason": self.reason,
        }

    def _save(self):
        """Append the record; on failure say why and keep the entry on screen. True when saved."""
        record = self._record()
        try:
            seq = self.store.append(record)
        except StoreFull:
            self._notice(self.t("store_full"))
            return False
        except (OSError, ValueError) as e:
            self.board.log("save failed: %r" % (e,))
            self._notice(self.t("save_failed"))
            return False
        self.board.log("saved record %d for patient %d, total %d" % (seq, self.patient, record["total"]))
        try:
            self.reminders.saved(self.patient, self.measured_at, self.band)
        except OSError as e:
            # The record is safe; the reminder file is rebuilt from the records at the next start.
            self.board.log("reminder not saved: %r" % (e,))
        return True

    def _key_saved(self, k):
        if k == "#":
            self._new_measurement()
        elif k == "*":
            self._clear_measurement()
            self._go(HOME)

    # ---- overlays: confirm a 3, cancel, notices, status -------------------------------------------------
    def _key_overlay(self, k):
        kind = self.overlay
        if kind == "confirm3":
            if k == "#" or k == "*":
                field, value = self.pending
                self.overlay = None
                if k == "#":
                    self._accept(field, value)
                elif field == AWARENESS:
                    self.choice = None
                else:
                    self.entry = ""
        elif kind == "cancel":
            if k == "#":
                self.board.log("measurement cancelled")
                self._clear_measurement()
                self._go(HOME)
                self.overlay = None
            elif k == "*":
                self.overlay = None
        elif kind == "status":
            self._key_status(k)
        else:
            self.overlay = None

    def _key_status(self, k):
        last = max(0, len(self._status_lines()) - STATUS_ROWS)
        if k == "8":
            self.status_top = min(self.status_top + STATUS_ROWS - 1, last)
        elif k == "2":
            self.status_top = max(0, self.status_top - (STATUS_ROWS - 1))
        elif k == "B" and self.on_report is not None:
            self.status_note = self.on_report()
        else:
            self.overlay = None

    # ---- drawing ----------------------------------------------------------------------------------------
    def render(self):
        d = self.disp
        d.clear()
        kind = self.overlay
        if kind == "notice":
            self._draw_notice()
        elif kind == "cancel":
            d.row(2, self.t("cancel_ask"), True)
            d.text(self.t("cancel_note"), 0, 3)
            d.text(self.t("hint_yes_no"), 0, 7)
        elif kind == "status":
            self._draw_status()
        elif kind == "confirm3":
            self._draw_confirm3()
        elif self.state in (START, PIN, PATIENT) or self.state in FIELDS:
            self._draw_entry()
        else:
            getattr(self, "_draw_" + self.state)()
        self.dirty = True

    def _draw_lines(self, lines, first_row, rows):
        for i in range(min(rows, len(lines))):
            self.disp.text(lines[i], 0, first_row + i)

    def _draw_notice(self):
        self._draw_lines(self.notice, 1, 5)
        self.disp.text(self.t("any_key"), 0, 7)

    def _shown_entry(self):
        if self.state == PIN:
            return "*" * len(self.entry)
        if self.state == "temp" and self.entry:
            return text.temp(int(self.entry), self.lang)
        return self.entry

    def _field_header(self, field):
        step = "%d/%d" % (STEPS.index(field), len(FIELDS) + 1)
        left = text.label(self.lang, field) if field == AWARENESS else self.t("patient_header") % self.patient
        return _header(left, step)

    def _field_label(self, field):
        if field == "temp":
            return self.t("temp_label") % text.label(self.lang, self.temp_site)
        name = text.label(self.lang, field)
        unit = tobs_core.UNITS[field]
        return name + " " + unit if len(name) + 1 + len(unit) <= text.WIDTH else name

    def _draw_entry(self):
        d = self.disp
        state = self.state
        shown = self._shown_entry()
        if len(self.entry) < MAX_DIGITS[state]:
            shown += "_"
        if state == START:
            title = self.t("title") + ("  " + self.t("example") if self.site.example else "")
            d.row(0, title, True)
            self._draw_lines(self.msg or text.wrap(self.t("disclaimer")), 1, 3)
            d.text(self.t("staff_prompt"), 0, 4)
            d.big(shown, 0, 5)
            d.text(self.t("hint_start"), 0, 7)
            return
        if state == PIN:
            header, label, hint = self.t("staff_header") % self.candidate, self.t("pin_prompt"), "hint_pin"
        elif state == PATIENT:
            header, label, hint = self.t("new_measurement"), self.t("patient_prompt"), "hint_entry"
        else:
            header, label = self._field_header(state), self._field_label(state)
            hint = "hint_temp" if state == "temp" else "hint_entry"
        d.row(0, header, True)
        d.text(label, 0, 1)
        d.big(shown, 0, 2)
        self._draw_lines(self.msg or [], 4, 3)
        d.text(self.t(hint), 0, 7)

    def _draw_confirm3(self):
        d = self.disp
        field, value = self.pending
        d.row(0, self._field_header(field), True)
        if field == AWARENESS:
            d.text(text.awareness(self.lang, value), 0, 2)
        else:
            d.text(self._field_label(field), 0, 1)
            d.big(text.temp(value, self.lang) if field == "temp" else str(value), 0, 2)
        d.row(4, self.t("confirm3"), True)
        d.text(self.t("confirm3_ask"), 0, 5)
        d.text(self.t("hint_confirm3"), 0, 7)

    def _draw_menu(self, title, labels):
        d = self.disp
        d.row(0, self.msg[0] if self.msg else title, True)
        for i, name in enumerate(labels):
            d.row(1 + i, _fit("%d %s" % (i + 1, name)), self.choice == i)
        d.text(self.t("hint_menu") % len(labels), 0, 7)

    def _draw_awareness(self):
        labels = [text.awareness(self.lang, code) for code, _ in tobs_core.AWARENESS]
        self._draw_menu(self._field_header(AWARENESS), labels)

    def _draw_action(self):
        required = bool(self.band and self.band.get("document"))
        title = self.t("action_title") if required else self.t("action_optional")
        self._draw_menu(title, [self.site.text(a, self.lang) for a in self.site.actions])

    def _draw_reason(self):
        self._draw_menu(self.t("reason_title"), [self.site.text(r, self.lang) for r in self.site.reasons])

    def _draw_home(self):
        d = self.disp
        now = self.board.now()
        self.shown_minute = now // 60
        d.row(0, self.t("staff_header") % (self.staff or 0), True)
        rows = [(p, due, True) for p, due in self.reminders.overdue(now)]
        rows += [(p, due, False) for p, due in self.reminders.due(now)]
        if not rows:
            self._draw_lines(text.wrap(self.t("nothing_due")), 2, 3)
        shown = rows if len(rows) <= 6 else rows[:5]
        for i, (patient, due, late) in enumerate(shown):
            d.row(1 + i, _header(self.t("patient_header") % patient, text.relative(due - now, self.lang)), late)
        if len(shown) < len(rows):
            d.text(self.t("more") % (len(rows) - len(shown)), 0, 6)
        d.text(self.t("hint_home"), 0, 7)

    def _review_lines(self):
        """(text, inverse) rows of the review: each value with its points, then the site's guidance."""
        result, band, lang = self.result, self.band, self.lang
        if result is None or band is None:
            return []
        t = self.t
        lines = []
        for field in FIELDS:
            value = self.values[field]
            shown = text.temp(value, lang) if field == "temp" else str(value)
            lines.append((_pair(t("short_" + field), shown, result.points[field]), False))
            if field == "temp":
                site = text.label(lang, self.temp_site)
                if self.temp_site != "rectal":
                    site += " = " + text.temp(result.temp_scored_tenths, lang)
                lines.append((_fit(" " + site), False))
        lines.append((_pair(t("short_awareness"), "", result.points[AWARENESS]), False))
        lines.append((_fit(" " + text.awareness(lang, self.awareness)), False))
        urgent = band["escalate"]
        for line in text.wrap(self.site.text(band["text"], lang)):
            lines.append((line, urgent))
        call = band.get("call")
        if call:
            for line in text.wrap(t("call") % self.site.text(call["who"], lang)):
                lines.append((line, urgent))
            lines.append((_fit(t("phone") % call["number"]), urgent))
        if band["remeasure_min"]:
            for line in text.wrap(t("remeasure") % text.duration(band["remeasure_min"], lang)):
                lines.append((line, False))
        return lines

    def _draw_review(self):
        d = self.disp
        result = self.result
        if result is None:
            return
        d.text(self.t("patient_header") % self.patient, 0, 0)
        d.text(self.t("total"), 0, 1)
        total = str(result.total)
        d.big(total, text.WIDTH - 2 * len(total), 0)
        for i, (line, inverse) in enumerate(self.review[self.top:self.top + REVIEW_ROWS]):
            d.row(2 + i, line, inverse)
        d.text(self.t("hint_review"), 0, 7)

    def _draw_saved(self):
        d = self.disp
        d.row(0, self.t("saved"), True)
        d.text(self.t("patient_header") % self.patient, 0, 1)
        d.text("%s %d" % (self.t("title"), self.result.total if self.result else 0), 0, 2)
        item = self.site.action(self.action)
        if item is not None:
            d.text(self.site.text(item, self.lang), 0, 3)
        due = self.reminders.due_at(self.patient)
        minutes = self.band["remeasure_min"] if self.band else 0
        if minutes and due is not None:
            self._draw_lines(text.wrap(self.t("remeasure") % text.duration(minutes, self.lang)), 4, 2)
        else:
            d.text(self.t("no_reminder"), 0, 4)
        d.text(self.t("hint_saved"), 0, 7)

    def _status_lines(self):
        t, site, board = self.t, self.site, self.board
        lines = []
        if site.example:
            lines.append((t("example_config"), True))
        if site.warning:
            lines.append((t("config_error"), True))
        lines.append((t("unsynced") % self.store.pending_count(), False))
        if self.free_bytes is not None:
            lines.append((t("free") % (self.free_bytes() // 1024), False))
        lines.append((text.utc(board.now()), False))
        valid = board.clock_valid()
        lines.append((t("clock_set") if valid else t("clock_unset"), not valid))
        lines.append((t("device"), False))
        lines.append(("".join("%02x" % b for b in board.unique_id()), False))
        lines.append((t("core") % tobs_core.CORE_ID, False))
        lines.append((t("config") % site.config_id, False))
        lines.append((_fit(site.site_name), False))
        return lines

    def _draw_status(self):
        d = self.disp
        top, note = self.status_top, self.status_note
        d.row(0, _fit(note) if note else self.t("status"), True)
        for i, (line, inverse) in enumerate(self._status_lines()[top:top + STATUS_ROWS]):
            d.row(1 + i, line, inverse)
        d.text(self.t("hint_status"), 0, 7)
