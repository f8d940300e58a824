# Random key sequences through the real flow code with the flow's fakes (a display of row strings, a board whose
# clock the test moves, the real record store and reminders in a scratch folder): 10,000 sequences of presses, with
# idle time, idle logouts, power cuts and a full store thrown in, half of them ending in a logout or a cut. Whatever
# is typed: no exception, every screen fits, every stored record holds exactly what the review showed, a measurement
# in progress is never lost (it is saved, or kept as its nurse's draft and offered to her, and to nobody else, at
# her next log-in), and a follow-up names the action of a set that lacks one. Runs on CPython and MicroPython.
from flow_support import PLENTY, Rig, RowDisplay, remove_tree

import handheld
import tobs_core
from handheld import store as store_module
from handheld import text, ui
from handheld.flow import Flow
from handheld.reminders import Reminders
from handheld.store import RecordStore

SEQUENCES = 10000
STAFF = ((1001, "1234"), (1002, "5678"))
KEYS = "0123456789*#ABCD"
PLAUSIBLE = {"pulse": (20, 250), "resp": (3, 70), "temp": (250, 450), "sys_bp": (40, 300)}
NAMES = {"Puls": "pulse", "Resp.": "resp", "Temp.": "temp", "Syst. BT": "sys_bp"}


class Draw:
    """xorshift32: the same sequences on both runtimes, from one seed."""

    def __init__(self, seed):
        self.x = seed

    def next(self):
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.x = x
        return x

    def below(self, n):
        return self.next() % n

    def chance(self, percent):
        return self.below(100) < percent

    def key(self):
        return KEYS[self.below(len(KEYS))]


def shown_review(rig):
    """What the review shows, read back from the screen and its pages: patient, total, the values (temperature in
    tenths as typed), the temperature site and the awareness code."""
    flow = rig.flow
    lines = rig.disp.lines()
    seen = {"patient": int(lines[0].split()[1])}
    seen["total"] = int(rig.disp.bigs[0]) if flow.top == 0 else int(lines[0].split()[-1])
    site = "rectal"
    rows = [row for page in flow.review for row, _ in page]
    for i, row in enumerate(rows):
        name = row[:12].rsplit(" ", 1)[0].strip()
        if name in NAMES:
            value = row[:12].split()[-1]
            seen[NAMES[name]] = int(value.replace(",", "")) if name == "Temp." else int(value)
        elif row.startswith(" ") and " = " in row:
            site = [code for code, _ in tobs_core.TEMP_SITES if text.label("da", code) == row.split(" = ")[0][1:]][0]
        elif name == "Bevidsth.":
            label = rows[i + 1][1:]
            seen["awareness"] = [code for code, _ in tobs_core.AWARENESS if text.awareness("da", code) == label][0]
    seen["temp_site"] = site
    return seen


class Checked:
    """The invariants, checked as the flow works (it wraps the store's append)."""

    def __init__(self, rig):
        self.rig = rig
        self.review = None  # what the review showed when it was last on the screen
        self.drafts = {}  # staff -> (patient, values, awareness) the flow must have kept for them
        self.last = None  # the newest observation stored
        self.saved = 0
        self.follow_ups = 0
        self.offered = 0
        self.wrap()

    def wrap(self):
        store = self.rig.store
        append = store.append

        def checked_append(fields):
            if "follow_up" in fields:
                lacking = [item[0] for item in self.rig.reminders.lacking()]
                assert fields["follow_up"] in lacking and fields["action"] != 0, (fields, lacking)
                seq = append(fields)
                self.follow_ups += 1
                return seq
            shown = self.review
            assert shown is not None, "a record was stored without a review on the screen"
            for name in shown:
                stored = fields["temp_raw"] if name == "temp" else fields[name]
                assert stored == shown[name], (name, stored, shown)
            level = self.rig.flow.guidance
            assert fields["action_missing"] == (level["document"] and fields["action"] == 0), fields
            seq = append(fields)
            self.last = fields
            self.saved += 1
            return seq

        store.append = checked_append

    def after_key(self):
        flow = self.rig.flow
        assert not self.rig.disp.problems, self.rig.disp.problems
        if flow.state == ui.REVIEW and flow.overlay is None:
            self.review = shown_review(self.rig)
        elif flow.state not in (ui.ACTION, ui.REASON):
            self.review = None

    def in_progress(self):
        """(patient, values, awareness) of the measurement being entered, once it has a patient number."""
        flow = self.rig.flow
        if flow.staff is None or flow.patient is None or flow.follow is not None or flow.state not in ui.MEASURING:
            return None
        return flow.patient, dict(flow.values), flow.awareness

    def saved_last(self, kept, staff):
        """Whether the newest observation stored is this measurement, by this nurse."""
        last = self.last
        if last is None:
            return False
        patient, values, awareness = kept
        return (last["patient"], last["staff"], last["awareness"]) == (patient, staff, awareness) and all(
            last["temp_raw" if name == "temp" else name] == values.get(name) for name in ui.FIELDS)

    def left(self, kept, staff):
        """The flow has let go of a measurement (logged out, power cut): it must be saved or be staff's draft."""
        if kept is None:
            return
        if self.saved_last(kept, staff):
            self.drafts.pop(staff, None)
        else:
            self.drafts[staff] = kept

    def logged_in(self):
        """The log-in just happened: the draft offered (or not) must be this nurse's own, as the flow left it."""
        flow = self.rig.flow
        expected = self.drafts.get(flow.staff)
        if flow.state == ui.RESUME:
            offer = flow.offer
            assert expected is not None, ("a draft offered to staff %d, who has none" % flow.staff, offer)
            assert (offer["patient"], offer["values"], offer["awareness"]) == expected, (offer, expected)
            self.offered += 1
        else:
            assert flow.state == ui.HOME and expected is None, (flow.state, expected)


def power_up(rig):
    """A cut and a fresh start on the same flash: everything in RAM is gone."""
    rig.store = RecordStore(rig.root, free_bytes=lambda: rig.free)
    rig.reminders = Reminders(rig.root, rig.site).open(rig.store)
    rig.disp.clear()
    rig.flow = Flow(rig.disp, rig.store, rig.site, rig.board, rig.reminders)
    assert rig.flow.state == ui.START


def value_keys(draw, field):
    lo, hi = PLAUSIBLE[field]
    if draw.chance(10):
        value = draw.below(1000)  # often implausible: refused, to be corrected
    else:
        value = lo + draw.below(hi - lo + 1)
    return str(value) + ("#" if draw.chance(80) else "")


def next_keys(draw, flow):
    """What a tired nurse might press now: mostly sensible for the screen, often not."""
    if draw.chance(8):
        return draw.key()
    state, overlay = flow.state, flow.overlay
    if overlay == "confirm3":
        return "#*0"[draw.below(3)]
    if overlay in ("cancel", "logout"):
        return "#*"[draw.below(2)]
    if overlay is not None:
        return "#"
    if state == ui.START:
        return "%d#" % STAFF[draw.below(2)][0]
    if state == ui.PIN:
        pins = [pin for staff, pin in STAFF if staff == flow.candidate]
        return (pins[0] if pins and draw.chance(90) else "1111") + "#"
    if state == ui.RESUME:
        return "#C"[draw.below(2)]
    if state == ui.HOME:
        return "#" if draw.chance(60) else "123*"[draw.below(4)]
    if state == ui.PATIENT:
        return str(1 + draw.below(12)) + "#"
    if state in ui.FIELDS:
        return value_keys(draw, state) if draw.chance(85) else "*A"[draw.below(2)]
    if state == ui.AWARENESS:
        return str(1 + draw.below(5))
    if state == ui.REVIEW:
        return "#" if draw.chance(70) else "82*C"[draw.below(4)]
    if state in (ui.ACTION, ui.REASON, ui.FOLLOW_UP, ui.FOLLOW_WHY):
        return "123456#*"[draw.below(8)]
    return "#1*"[draw.below(3)]  # saved


def tick(rig, checked, ms):
    """Time passes without a key: perhaps the idle logout."""
    kept, staff = checked.in_progress(), rig.flow.staff
    rig.board.advance(ms)
    rig.flow.tick()
    if rig.flow.staff is None and staff is not None:
        checked.left(kept, staff)
    checked.after_key()


def cut(rig, checked):
    checked.left(checked.in_progress(), rig.flow.staff)
    power_up(rig)
    checked.wrap()


def press(rig, checked, k, number):
    flow = rig.flow
    state, staff, kept = flow.state, flow.staff, checked.in_progress()
    flow.key(k)
    checked.after_key()
    if state == ui.PIN and flow.staff is not None:
        checked.logged_in()
    if state == ui.RESUME and flow.state != ui.RESUME:
        checked.drafts.pop(staff, None)  # resumed, or discarded on purpose
    if kept is not None and flow.patient is None:
        # The measurement left the flow: saved, or cancelled on purpose (the flow logs that).
        cancelled = rig.board.logs and rig.board.logs[-1] == "measurement cancelled"
        assert cancelled or checked.saved_last(kept, staff), (number, k, kept, flow.state)
        checked.drafts.pop(staff, None)


def run_sequence(rig, checked, draw, number):
    """One sequence of presses and events from wherever the last one left the handheld (the start screen after a
    logout or a cut, or the same nurse still at work); nearly half end in an idle logout, one in ten in a cut."""
    for _ in range(3 + draw.below(18)):
        if draw.chance(2):
            tick(rig, checked, draw.below(11) * 60000)  # a pause, sometimes long enough to log out
        elif draw.chance(1):
            cut(rig, checked)
        else:
            if rig.free == 0 and draw.chance(20) or rig.free and draw.chance(1):
                rig.free = PLENTY if rig.free == 0 else 0  # the store fills up, or a sync empties it
            for k in next_keys(draw, rig.flow):
                press(rig, checked, k, number)
    end = draw.below(100)
    if end < 45:
        tick(rig, checked, rig.site.idle_ms)
        assert rig.flow.state == ui.START and rig.flow.staff is None, (number, rig.flow.state)
    elif end < 55:
        cut(rig, checked)


def sync(rig):
    """What a sync at the docking PC does to the store: everything acknowledged and compacted away."""
    if rig.store.last_seq:
        rig.store.mark_synced(rig.store.last_seq)
        rig.store.compact()


def test_ten_thousand_random_key_sequences_keep_every_promise_of_the_flow():
    # Durability and unloading are about power cuts and heap, tested on their own; here the flow's logic, fast:
    # the scratch files are not synced to disk and modules stay loaded once imported.
    durable, unload = store_module._durable, handheld.unload
    store_module._durable = lambda f: f.flush()
    handheld.unload = lambda name: None
    rig = Rig("flow-property", in_memory=True, display=RowDisplay)
    try:
        checked = Checked(rig)
        draw = Draw(0x7083A1B2)
        for number in range(SEQUENCES):
            run_sequence(rig, checked, draw, number)
            if number % 200 == 199:
                sync(rig)
        # The sequences went everywhere a nurse can go.
        assert checked.saved > 500 and checked.follow_ups > 10 and checked.offered > 100, (
            checked.saved, checked.follow_ups, checked.offered)
    finally:
        store_module._durable, handheld.unload = durable, unload
        remove_tree(rig.root)
