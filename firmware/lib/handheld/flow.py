# The nurse's screen flow: a state machine fed one key at a time that draws the 16x8 text screen. This is its
# core (state, moving between steps, overlays, the draft kept on flash, idle logout); each group of screens is a
# module of its own that is loaded while one of its screens is up, so only one group's code is in the heap at once:
#   screen_entry   log-in, patient number, the four values, awareness, the confirm-a-3 question
#   screen_review  the review: the guidance first, the values with their points a key away
#   screen_action  action, reason, saving, the saved screen, and the action recorded later for a saved set that
#                  lacks it
#   screen_home    the offer of an unfinished measurement after the log-in, and the home screen: sets lacking their
#                  action, re-measure reminders, each picked with one key
#   screen_status  the status overlay (D)
#
# Keys: digits enter numbers (a full field moves on by itself) and pick menu rows, # is OK, * deletes a digit (on an
# empty field: back one step), A cycles the temperature site, C cancels the measurement (after a yes/no), D shows the
# status screen. A # typed in rhythm (within a second) after a value field filled up and moved on by itself is taken
# as the nurse's OK of that value and ignored, so typing "value #" never carries a key into the next field; and a
# value worth 3 points is only ever confirmed by a # pressed after its question has been on the screen.
import gc
import os
import time

import handheld
import tobs_core
from handheld import const, text
from handheld.ui import AFTER_REVIEW, FIELDS, HOME, MEASURING, PATIENT, RESUME, REVIEW, START, STEPS, fit

# MicroPython's ticks wrap around and must be compared with ticks_diff; CPython (tests) has plain integers.
_TICKS_DIFF = getattr(time, "ticks_diff", None)


# On the device a collection between two screen groups keeps the heap's peak down; CPython (tests) needs none.
_COLLECT = hasattr(gc, "mem_free")


def ticks_diff(a, b):
    return _TICKS_DIFF(a, b) if _TICKS_DIFF is not None else a - b


# Room a measurement needs besides its record: its draft, rewritten at every step, can take a LittleFS block.
DRAFT_ROOM = 4096
# A # this soon after a field moved on by itself was typed in rhythm with the digits, before the screen was read.
_RHYTHM_MS = const(1000)


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
        if self.result is not None and self.state in AFTER_REVIEW and self.follow is None:
            # Back on an entry step the result is scored afresh on the way to the review anyway.
            handheld.once("screen_review", "guide", self)
        self.render()

    # ---- state ------------------------------------------------------------------------------------------
    def logout(self):
        self.state = START
        self.staff = None
        self.candidate = None
        self.entry = ""
        self.msg = None
        self.overlay = None  # "confirm3", "cancel", "logout", "notice" or "status", drawn over the current state
        self.pending = (None, None)  # (field, value) waiting for the confirm-3 answer
        self.notice_lines = []
        self.status_top = 0
        self.status_note = None
        self.offer = None  # the unfinished measurement offered back after the log-in
        self.items = []  # the home screen's rows as drawn, for the digit that picks one
        self.clear_measurement()

    def clear_measurement(self):
        self.patient = None
        self.values = {}
        self.temp_site = "rectal"  # the site the temperature is being typed for (A changes it)
        self.site_of_temp = "rectal"  # the site the confirmed temperature in values was read at
        self.awareness = None
        self.choice = None
        self.result = None
        self.guidance = None
        self.review = []  # the review's pages of (text, inverse) rows, built once per scoring
        self.guide_pages = 0  # how many of its pages are the guidance the nurse must see before saving
        self.seen = 0  # the last page of the review that has been on the screen
        self.measured_at = 0
        self.measured_ms = 0
        self.action = 0
        self.reason = 0
        self.top = 0
        self.selected = False  # the entry is a refused value: the next digit replaces it, * clears it
        self.moved = None  # ticks_ms when a field moved on by itself (or opened the confirm-3 question)
        self.follow = None  # the saved set (seq, patient, total, any_three) whose action is being recorded

    def go(self, state, entry=""):
        self.state = state
        self.entry = entry
        self.msg = None
        self.choice = None
        self.top = 0
        self.selected = False

    def say(self, sentence):
        self.msg = text.wrap(sentence)

    def notice(self, sentence):
        self.overlay = "notice"
        self.notice_lines = text.wrap(sentence)

    def screen(self):
        """The module of the current state's screen group, loaded now if need be; the group shown before
        leaves the heap."""
        state = self.state
        if state == REVIEW:
            name = "screen_review"
        elif state in AFTER_REVIEW:
            name = "screen_action"
        elif state == HOME or state == RESUME:
            name = "screen_home"
        else:
            name = "screen_entry"
        if name != self._group:
            for other in ("screen_entry", "screen_review", "screen_action", "screen_home"):
                if other != name:
                    handheld.unload(other)
            if _COLLECT:
                # Free the old group's code before the new one is loaded: they never need the heap together.
                gc.collect()
            self._group = name
        if name == "screen_review":
            from handheld import screen_review as group
        elif name == "screen_action":
            from handheld import screen_action as group
        elif name == "screen_home":
            from handheld import screen_home as group
        else:
            from handheld import screen_entry as group
        return group


    def step(self, direction):
        """Move one entry step left or right, showing any value already entered there for editing; the
        measurement so far is kept on flash."""
        i = STEPS.index(self.state) + direction
        state = STEPS[i] if 0 <= i < len(STEPS) else HOME
        self.go(state)
        if state == PATIENT:
            self.entry = str(self.patient)
        elif state in FIELDS and state in self.values:
            self.entry = str(self.values[state])
        elif state == "awareness" and self.awareness is not None:
            self.choice = [code for code, _ in tobs_core.AWARENESS].index(self.awareness)
        if self.patient is not None:
            self.keep_draft()
        if state == REVIEW:
            # Scored by key() once the screen that moved here has returned (see _score_review).
            self.result = None

    def keep_draft(self):
        """Write the measurement in progress to flash (a failure is logged: the entry itself goes on)."""
        try:
            handheld.once("draft", "write", self)
        except (OSError, MemoryError) as e:
            # The draft is a copy kept for a power cut; the values on the screen are the measurement.
            self.board.log("draft not kept: %r" % (e,))

    def drop_draft(self):
        """The measurement is saved or discarded: its draft goes (done here, so saving never loads draft.py)."""
        if self.staff is None:
            return
        path = "%s/draft%d.json" % (self.store.root.rstrip("/"), self.staff)
        for name in (path, path + ".tmp"):
            try:
                os.remove(name)
            except OSError as e:
                if not (e.args and e.args[0] == 2):  # ENOENT: there was none
                    raise

    def new_measurement(self, patient=None):
        """A new measurement, for `patient` (picked from the home list) or with the patient number to type.
        Refused before any vitals are typed when the store is full, so a full store never costs a finished entry."""
        if not self.store.can_store(DRAFT_ROOM):
            self.go(HOME)
            self.notice(self.t("store_full"))
            return
        self.clear_measurement()
        self.go(PATIENT)
        if patient is not None:
            self.patient = patient
            self.step(1)

    # ---- input ------------------------------------------------------------------------------------------
    def key(self, k):
        self.last_key = self.board.ticks_ms()
        moved = self.moved
        self.moved = None
        kind = self.overlay
        if kind == "status":
            from handheld import screen_status

            screen_status.key(self, k)
            if self.overlay != "status":
                handheld.unload("screen_status")
        elif kind == "cancel":
            self._key_cancel(k)
        elif kind == "logout":
            if k == "#":
                self.logout()
            elif k == "*":
                self.overlay = None
        elif kind == "notice":
            self.overlay = None  # any key closes a notice
        elif kind is None and k == "D":
            self.overlay = "status"
            self.status_top = 0
            self.status_note = None
        elif kind is None and k == "C" and (self.state in MEASURING or self.state == RESUME):
            self.overlay = "cancel"
        elif k == "#" and moved is not None and ticks_diff(self.last_key, moved) < _RHYTHM_MS:
            pass  # the OK of a move the flow made by itself, typed before the new screen could be read
        else:
            self.screen().key(self, k)
        if self.state == REVIEW and self.result is None:
            self._score_review()
        self.render()

    def _score_review(self):
        # Here rather than in step(): step() runs inside the entry screens' code, which would then share the heap with
        # the review's code and the scoring; now the entry screens can go first.
        self.screen()
        from handheld import screen_review

        screen_review.score(self)

    def _key_cancel(self, k):
        if k == "#":
            self.board.log("measurement cancelled")
            self.drop_draft()
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
        if self.state in MEASURING:
            # Whatever has been entered is kept (draft.py), the code for it loaded only now.
            handheld.once("draft", "idle_logout", self)
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
        elif kind == "cancel" or kind == "logout":
            d.row(2, self.t("cancel_ask" if kind == "cancel" else "logout_q"), True)
            if kind == "cancel":
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

    def draw_menu(self, title, labels, hint="hint_menu"):
        """A numbered menu under its title (or the message asking for a choice); the choice is inverse."""
        d = self.disp
        d.row(0, self.msg[0] if self.msg else title, True)
        for i, name in enumerate(labels):
            d.row(1 + i, fit("%d %s" % (i + 1, name)), self.choice == i)
        d.text(self.t(hint) % len(labels), 0, 7)

    def menu_choice(self, k, items):
        """A digit that picks one of items becomes the choice; True when k was such a digit."""
        if "1" <= k <= "9" and int(k) <= len(items):
            self.choice = int(k) - 1
            self.msg = None
            return True
        return False
