# When each patient should be measured again, and which saved sets still lack the action the site wants documented:
# a save sets measured_at + the site's re-measure interval for that score (and, without the action, marks the set as
# lacking it until a follow-up record names it); the home screen lists them. Kept in a small file in the storage
# folder, brought up to date from the record store after a cut-short save, and rebuilt from it when that file is
# missing, unreadable or from another configuration.
import json
import os

import tobs_record

FILE = "reminders.json"
DUE_SOON_S = 3600  # "due" on the home screen: within the next hour
MAX_PATIENTS = 64  # bounds the file and the heap; beyond it the longest-overdue reminder is dropped
MAX_LACKING = 16  # sets lacking their action kept for the home screen (the register lists them all)


def _join(root, name):
    return root.rstrip("/") + "/" + name


def _any_three(points):
    for value in points.values():
        if value == 3:
            return True
    return False


class Reminders:
    """next_due: patient number -> Unix seconds; missing: seq of a saved set lacking its action -> (patient, total,
    any_three). `site` gives the levels (SiteConfig.guidance_for). The file also names the newest record it reflects
    (the store's last_seq when it was written), so that a power cut between a record's save and the file's costs no
    reminder: the next start applies the records the file has not seen."""

    def __init__(self, root, site):
        self.path = _join(root, FILE)
        self.site = site
        self.next_due = {}
        self.missing = {}
        self.store = None
        self.problem = None  # an English sentence for the device log when the file had to be rebuilt

    def open(self, store):
        """Load the file and bring it up to the store's newest record, or rebuild it from store.records();
        saved again when it changed."""
        self.store = store
        seq = self._load()
        if seq == store.last_seq:
            return self
        if seq is not None and store.acked <= seq < store.last_seq:
            # The power went after a record was stored and before this file was replaced: the records the
            # file has not seen are still unsynced, so they are all among the pending ones.
            self.problem = "%s was older than the records (a save was cut short), brought up to date" % FILE
            for raw in store.pending():
                if tobs_record.seq_of(raw) > seq:
                    self._apply(tobs_record.decode(raw))
            self._trim()
        else:
            if seq is not None:
                self.problem = "%s does not match the records, rebuilt from them" % FILE
            self.rebuild(store.records())
        self._save()
        return self

    def _load(self):
        """The file's due times into next_due; the seq of the newest record it reflects, or None when the file
        cannot be used (then self.problem says why, unless the file is simply not there yet)."""
        try:
            with open(self.path, "rb") as f:
                data = json.load(f)  # parsed from the stream: the file's text is never held whole
        except OSError as e:
            if not (e.args and e.args[0] == 2):  # ENOENT: first start, nothing to report
                self.problem = "%s unreadable (%r), rebuilt from the records" % (FILE, e)
            return None
        except ValueError as e:
            self.problem = "%s unreadable (%r), rebuilt from the records" % (FILE, e)
            return None
        if not isinstance(data, dict) or data.get("config_id") != self.site.config_id:
            # Another configuration means other intervals: recompute every due time from the records.
            self.problem = "%s is from another site configuration, rebuilt" % FILE
            return None
        seq = data.get("seq")
        if not isinstance(seq, int):
            self.problem = "%s does not say which records it reflects, rebuilt" % FILE
            return None
        due = {}
        for pair in data.get("due", ()):
            due[pair[0]] = pair[1]
        self.next_due = due
        missing = {}
        for item in data.get("missing", ()):
            missing[item[0]] = (item[1], item[2], bool(item[3]))
        self.missing = missing
        return seq

    def rebuild(self, records):
        """Recompute from every saved record, oldest first (a later record replaces an earlier one)."""
        self.next_due = {}
        self.missing = {}
        for record in records:
            self._apply(record)
        self._trim()

    def _apply(self, record):
        refers_to = record.get("follow_up")
        if refers_to is not None:
            self.missing.pop(refers_to, None)
            return
        any_three = _any_three(record["points"])
        level = self.site.guidance_for(record["total"], any_three)
        self._set(record["patient"], record["measured_at"], level["remeasure_min"])
        if record.get("action_missing"):
            self.missing[record["seq"]] = (record["patient"], record["total"], any_three)

    def _set(self, patient, measured_at, remeasure_min):
        if remeasure_min:
            self.next_due[patient] = measured_at + remeasure_min * 60
        elif patient in self.next_due:
            del self.next_due[patient]

    def _trim(self):
        while len(self.next_due) > MAX_PATIENTS:
            oldest = None
            for patient, due in self.next_due.items():
                if oldest is None or due < self.next_due[oldest]:
                    oldest = patient
            del self.next_due[oldest]
        while len(self.missing) > MAX_LACKING:
            del self.missing[min(self.missing)]

    def saved(self, patient, measured_at, level, lacking=None):
        """A record was saved: the patient is next due after the level's interval (none for interval 0).
        lacking = (seq, total, any_three) when the record lacks the action its level wants documented."""
        self._set(patient, measured_at, level["remeasure_min"])
        if lacking is not None:
            self.missing[lacking[0]] = (patient, lacking[1], lacking[2])
        self._trim()
        self._save()

    def followed_up(self, seq):
        """The action for saved record seq is recorded now."""
        self.missing.pop(seq, None)
        self._save()

    def lacking(self):
        """[(seq, patient, total, any_three)] of the saved sets still lacking their action, oldest first."""
        return [(seq,) + self.missing[seq] for seq in sorted(self.missing)]

    def _save(self):
        # {"config_id": ..., "due": [[patient, due], ...]} written a pair at a time: with many patients the whole
        # document as one string would be a large block of heap, needed at every save.
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            seq = self.store.last_seq if self.store is not None else 0
            f.write('{"config_id": %s, "seq": %d, "due": [' % (json.dumps(self.site.config_id), seq))
            sep = ""
            for patient, due in self.next_due.items():
                f.write("%s[%d, %d]" % (sep, patient, due))
                sep = ", "
            f.write('], "missing": [')
            sep = ""
            for seq, (patient, total, any_three) in self.missing.items():
                f.write("%s[%d, %d, %d, %d]" % (sep, seq, patient, total, any_three))
                sep = ", "
            f.write("]}")
        # Rename is atomic on LittleFS and POSIX: a power cut leaves the old file or the new one.
        os.rename(tmp, self.path)

    def due_at(self, patient):
        return self.next_due.get(patient)

    def first_due(self, now, count, within_s=DUE_SOON_S):
        """The home screen's list: ([(patient, due)] of at most `count` patients due by now + within_s, in order
        of due time (so the overdue ones, longest overdue first, come before those due soon; equal times by
        patient number), and how many patients are due by then in all.

        Only the rows shown are kept in order as the reminders are scanned: sorting every patient's reminder
        would cost the heap a few kilobytes of tuples at every minute's redraw of the home screen."""
        first = []
        total = 0
        until = now + within_s
        for patient, due in self.next_due.items():
            if due > until:
                continue
            total += 1
            i = len(first)
            while i > 0 and (due < first[i - 1][1] or (due == first[i - 1][1] and patient < first[i - 1][0])):
                i -= 1
            if i < count:
                first.insert(i, (patient, due))
                if len(first) > count:
                    first.pop()
        return first, total
