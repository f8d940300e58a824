# A measurement in progress kept on flash, one small file per staff member (draft<staff>.json in the storage
# folder), so that neither an idle logout nor a power cut loses what a nurse has entered: the next log-in of the
# same nurse offers it back. Written to a temporary file and renamed (atomic on LittleFS and POSIX), so a cut
# leaves the old draft or the new one; the flow removes it (Flow.drop_draft) once the record is saved or the nurse
# discards it. Loaded only for a moment at a time (handheld.once).
import json
import os

import tobs_core
import tobs_record
from handheld.store import _durable
from handheld.ui import ACTION, FIELDS, REASON, STEPS

_ENOENT = 2
_KEPT = ("patient", "values", "temp_site", "awareness", "state", "entry")


def _path(root, staff):
    return root.rstrip("/") + "/draft%d.json" % staff


def write(flow):
    """Keep flow's measurement (which step it is on, what is typed there) for its staff member."""
    path = _path(flow.store.root, flow.staff)
    state = flow.state if flow.state in STEPS else "review"
    data = {
        # A site changed with A but not confirmed is not the site of the temperature kept.
        "patient": flow.patient, "values": flow.values, "awareness": flow.awareness,
        "temp_site": flow.site_of_temp if "temp" in flow.values else flow.temp_site,
        "state": state, "entry": flow.entry if state in FIELDS or state == "patient" else "",
        # The newest record when this was written: a record after it with these values means the draft was saved
        # and the power went before the draft was removed.
        "seq": flow.store.last_seq,
    }
    with open(path + ".tmp", "w") as f:
        json.dump(data, f)
        _durable(f)
    os.rename(path + ".tmp", path)


def idle_logout(flow):
    """The nurse walked away mid-measurement: keep what she entered before the flow logs out."""
    log = flow.board.log
    if flow.state in (ACTION, REASON):
        # She had pressed save on the review: the set is saved; without an action it is marked as lacking one
        # (the home screen lists it) until a follow-up records the action.
        flow.action = flow.reason = 0
        flow.screen()
        from handheld import screen_action

        if screen_action.save(flow):
            log("idle logout: patient %d saved without an action" % flow.patient)
            return
        log("idle logout: patient %d could not be saved, kept as a draft" % flow.patient)
    elif flow.patient is None:
        log("idle logout: no patient number yet, nothing to keep")
        return
    elif flow.overlay == "confirm3":
        # The value waiting for its confirmation comes back typed, to be confirmed then.
        field, value = flow.pending
        if field in FIELDS:
            flow.entry = str(value)
    try:
        write(flow)
    except OSError as e:
        log("draft not kept: %r" % (e,))
        return
    log("idle logout: patient %d kept as a draft" % flow.patient)


def _remove(path):
    for name in (path, path + ".tmp"):
        try:
            os.remove(name)
        except OSError as e:
            if not (e.args and e.args[0] == _ENOENT):
                raise


def _checked(data):
    # A draft is only offered when every value in it is one the entry screens would have accepted.
    if not isinstance(data, dict) or data.get("state") not in STEPS:
        raise ValueError("not a draft")
    patient = data["patient"]
    if not isinstance(patient, int) or not 0 < patient <= 99999999:
        raise ValueError("patient")
    values = data["values"]
    site = data["temp_site"]
    for field, value in values.items():
        if field not in FIELDS or not isinstance(value, int):
            raise ValueError(field)
        tobs_core.points_for(field, value / 10 if field == "temp" else value, site)
    if data["awareness"] is not None:
        tobs_core.points_for("awareness", data["awareness"])
    # Every step before the one it was left on has its value (the review needs them all).
    for step in STEPS[1 : STEPS.index(data["state"])]:
        if (data["awareness"] if step == "awareness" else values.get(step)) is None:
            raise ValueError("no %s before %s" % (step, data["state"]))
    entry = data["entry"]
    if not isinstance(entry, str) or len(entry) > 8 or (entry and not entry.isdigit()):
        raise ValueError("entry")
    return data


def _saved_already(data, staff, store):
    for raw in store.pending():
        if tobs_record.seq_of(raw) <= data["seq"]:
            continue
        record = tobs_record.decode(raw)
        if "follow_up" in record:
            continue  # the action for an earlier set, not a set
        values = data["values"]
        same = record["staff"] == staff and record["patient"] == data["patient"]
        same = same and record["awareness"] == data["awareness"] and record["temp_site"] == data["temp_site"]
        for field in FIELDS:
            same = same and record["temp_raw" if field == "temp" else field] == values.get(field)
        if same:
            return True
    return False


def load(root, staff, store, log):
    """The staff member's unfinished measurement (a dict of _KEPT), or None; a draft that cannot be used, or whose
    record was saved already, is removed (and said so in the log)."""
    path = _path(root, staff)
    try:
        with open(path) as f:
            data = _checked(json.load(f))
        if not isinstance(data.get("seq"), int):
            raise ValueError("seq")
        if _saved_already(data, staff, store):
            log("draft of staff %d for patient %d was saved already, removed" % (staff, data["patient"]))
            _remove(path)
            return None
    except OSError as e:
        if e.args and e.args[0] == _ENOENT:
            return None
        log("draft of staff %d unreadable (%r), removed" % (staff, e))
        _remove(path)
        return None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        # A draft the entry screens would not have written (a damaged file): no value in it can be trusted.
        log("draft of staff %d not usable (%r), removed" % (staff, e))
        _remove(path)
        return None
    return dict((key, data[key]) for key in _KEPT)


def resume(flow, data):
    """Put an offered draft back into the flow, on the step it was left on (a scored one on its review)."""
    flow.clear_measurement()
    flow.patient = data["patient"]
    flow.values = data["values"]
    flow.temp_site = flow.site_of_temp = data["temp_site"]
    flow.awareness = data["awareness"]
    state = data["state"]
    if state == "review":
        flow.state = "awareness"
        flow.step(1)
        return
    flow.go(state, data["entry"])
    if state == "awareness" and flow.awareness is not None:
        flow.choice = [code for code, _ in tobs_core.AWARENESS].index(flow.awareness)
