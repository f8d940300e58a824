# The nurse's screen flow: a state machine fed one key at a time that draws the 16x8 text screen. This is its
# core (state, moving between steps, overlays, idle logout); each group of screens is a module of its own that is
# loaded while one of its screens is up, so only one group's code is in the heap at a time:
#   screen_entry   log-in, patient number, the four values, awareness, the confirm-a-3 question
#   screen_review  the score and guidance, action, reason, the saved screen (and saving)
#   screen_home    the logged-in home screen with the re-measure reminders
#   screen_status  the status overlay (D)
#
# Keys: digits enter numbers, # is OK, * deletes a digit (on an empty field: back one step), A cycles the
# temperature site, C cancels the measurement (after a yes/no), D shows the status screen.
import gc
import time

import handheld
import tobs_core
from handheld import text
from handheld.ui import ACTION, AWARENESS, FIELDS, HOME, MEASURING, PATIENT, REASON, REVIEW, SAVED, START, STEPS, fit

# MicroPython's ticks wrap around and must be compared with ticks_diff; CPython (tests) has plain integers.
_TICKS_DIFF = getattr(time, "ticks_diff", None)


# On the device a collection between two screen groups keeps the heap's peak down; CPython (tests) needs none.
_COLLECT = hasattr(gc, "mem_free")


def ticks_diff(a, b):
    return _TICKS_DIFF(a, b) if _TICKS_DIFF is not None else a - b


# The screen group of each state that is not an entry screen (see the top of this file).
_GROUPS = {HOME: "screen_home", REVIEW: "screen_review", ACTION: "screen_review", REASON: "screen_review",
           SAVED: "screen_review"}


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
        self._group = None  # the screen group module loaded now
        self.logout()
        self.render()

    def t(self, key):
        return text.get(self.lang, key)

    def set_site(self, site):
        """A new site configuration (e.g. pushed by the sync) takes effect at once; a scored entry is guided
        by the new levels, so its record's config_id names the configuration that guided it."""
        self.site = site
        self.lang = site.language
        self.reminders.site = site
        if self.result is not None and _GROUPS.get(self.state) == "screen_review":
            # Back on an entry step the result is scored afresh on the way to the review anyway.
            self._review().guide(self)
        self.render()

    # ---- state ------------------------------------------------------------------------------------------
    def logout(self):
        self.state = START
        self.staff = None
        self.candidate = None
        self.entry = ""
        self.msg = None
        self.overlay = None  # "confirm3", "cancel", "notice" or "status", drawn over the current state
        self.pending = (None, None)  # (field, value) waiting for the confirm-3 answer
        self.notice_lines = []
        self.status_top = 0
        self.status_note = None
        self.clear_measurement()

    def clear_measurement(self):
        self.patient = None
        self.values = {}
        self.temp_site = "rectal"
        self.awareness = None
        self.choice = None
        self.result = None
        self.guidance = None
        self.review = []  # the review's (text, inverse) rows, built once per scoring
        self.measured_at = 0
        self.measured_ms = 0
        self.action = 0
        self.reason = 0
        self.top = 0

    def go(self, state, entry=""):
        self.state = state
        self.entry = entry
        self.msg = None
        self.choice = None
        self.top = 0

    def say(self, sentence):
        self.msg = text.wrap(sentence)

    def notice(self, sentence):
        self.overlay = "notice"
        self.notice_lines = text.wrap(sentence)

    def screen(self):
        """The module of the current state's screen group, loaded now if need be; the group shown before
        leaves the heap."""
        name = _GROUPS.get(self.state, "screen_entry")
        if name != self._group:
            for other in ("screen_entry", "screen_review", "screen_home"):
                if other != name:
                    handheld.unload(other)
            if _COLLECT:
                # Free the old group's code before the new one is loaded: they never need the heap together.
                gc.collect()
            self._group = name
        if name == "screen_review":
            from handheld import screen_review as group
        elif name == "screen_home":
            from handheld import screen_home as group
        else:
            from handheld import screen_entry as group
        return group

    def _review(self):
        # screen_review's own functions (scoring, saving), for the states of its group.
        self.screen()
        from handheld import screen_review

        return screen_review

    def step(self, direction):
        """Move one entry step left or right, showing any value already entered there for editing."""
        i = STEPS.index(self.state) + direction
        state = STEPS[i] if 0 <= i < len(STEPS) else HOME
        self.go(state)
        if state == PATIENT:
            self.entry = str(self.patient)
        elif state in FIELDS and state in self.values:
            self.entry = str(self.values[state])
        elif state == AWARENESS and self.awareness is not None:
            self.choice = [code for code, _ in tobs_core.AWARENESS].index(self.awareness)
        elif state == REVIEW:
            self._review().score(self)

    def new_measurement(self):
        # Refuse before any vitals are typed, so a full store never costs a nurse a finished entry.
        if not self.store.can_store():
            self.go(HOME)
            self.notice(self.t("store_full"))
            return
        self.clear_measurement()
        self.go(PATIENT)

    # ---- input ------------------------------------------------------------------------------------------
    def key(self, k):
        self.last_key = self.board.ticks_ms()
        kind = self.overlay
        if kind == "status":
            from handheld import screen_status

            screen_status.key(self, k)
            if self.overlay != "status":
                handheld.unload("screen_status")
        elif kind == "cancel":
            self._key_cancel(k)
        elif kind == "notice":
            self.overlay = None  # any key closes a notice
        elif kind is None and k == "D":
            self.overlay = "status"
            self.status_top = 0
            self.status_note = None
        elif kind is None and k == "C" and self.state in MEASURING:
            self.overlay = "cancel"
        else:
            self.screen().key(self, k)
        self.render()

    def _key_cancel(self, k):
        if k == "#":
            self.board.log("measurement cancelled")
            self.clear_measurement()
            self.go(HOME)
            self.overlay = None
        elif k == "*":
            self.overlay = None

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
            if self._review().save(self):
                self.board.log("idle logout: patient %d saved without an action" % self.patient)
            else:
                self.board.log("idle logout: patient %d could not be saved" % self.patient)
        elif self.state in MEASURING:
            self.board.log("idle logout: unsaved entry discarded")
        handheld.unload("screen_status")
        self.logout()

    # ---- drawing ----------------------------------------------------------------------------------------
    def render(self):
        d = self.disp
        d.clear()
        kind = self.overlay
        if kind == "notice":
            self.draw_lines(self.notice_lines, 1, 5)
            d.text(self.t("any_key"), 0, 7)
        elif kind == "cancel":
            d.row(2, self.t("cancel_ask"), True)
            d.text(self.t("cancel_tip"), 0, 3)
            d.text(self.t("hint_yesno"), 0, 7)
        elif kind == "status":
            from handheld import screen_status

            screen_status.draw(self)
        else:
            self.screen().draw(self)
        self.dirty = True

    def draw_lines(self, lines, first_row, rows):
        for i in range(min(rows, len(lines))):
            self.disp.text(lines[i], 0, first_row + i)

    def draw_menu(self, title, labels):
        """A numbered menu under its title (or the message asking for a choice); the choice is inverse."""
        d = self.disp
        d.row(0, self.msg[0] if self.msg else title, True)
        for i, name in enumerate(labels):
            d.row(1 + i, fit("%d %s" % (i + 1, name)), self.choice == i)
        d.text(self.t("hint_menu") % len(labels), 0, 7)

    def menu_choice(self, k, items):
        """A digit that picks one of items becomes the choice; True when k was such a digit."""
        if "1" <= k <= "9" and int(k) <= len(items):
            self.choice = int(k) - 1
            self.msg = None
            return True
        return False
