# Re-measure reminders: set by a save from the site's interval, due and overdue as time passes, kept in a small
# file replaced atomically, rebuilt from the records when the file is missing, broken or from another config.
import json

from flow_support import DEFAULT_CONFIG, PLENTY, exists, read, remove_tree, scratch, write

import tobs_core
from handheld import reminders, siteconfig_load
from handheld.store import RecordStore

T0 = 1790000000


def setup(name):
    root = scratch("reminders-" + name)
    site = siteconfig_load.load(root, DEFAULT_CONFIG)
    return root, site, RecordStore(root, free_bytes=lambda: PLENTY)


def observation(patient, measured_at, pulse=72, resp=16):
    points = {"pulse": tobs_core.points_for("pulse", pulse), "resp": tobs_core.points_for("resp", resp),
              "temp": 0, "sys_bp": 0, "awareness": 0}
    return {
        "measured_at": measured_at, "clock_valid": True, "boot_count": 1, "ms_since_boot": 0,
        "device_id": b"PICO\x00\x01\x02\x03", "staff": 1001, "patient": patient, "pulse": pulse, "resp": resp,
        "temp_raw": 375, "temp_site": "rectal", "sys_bp": 120, "awareness": "habitual", "points": points,
        "total": sum(points.values()), "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee", "action": 0,
        "reason": 0,
    }


def level(site, total, any_three=False):
    return site.guidance_for(total, any_three)


def test_a_save_sets_the_next_due_time_from_the_band_and_lists_due_then_overdue():
    root, site, store = setup("due")
    r = reminders.Reminders(root, site).open(store)
    assert r.next_due == {} and r.problem is None
    r.saved(42, T0, level(site, 2))  # 120 min
    r.saved(7, T0, level(site, 1))  # 480 min
    r.saved(9, T0, level(site, 0))  # no reminder
    assert r.due_at(42) == T0 + 7200 and r.due_at(7) == T0 + 480 * 60 and r.due_at(9) is None
    assert r.first_due(T0, 6) == ([], 0)
    assert r.first_due(T0 + 3600, 6) == ([(42, T0 + 7200)], 1)  # due within the hour, not yet overdue
    assert r.first_due(T0 + 7200, 6) == ([(42, T0 + 7200)], 1)  # now overdue (due <= now)
    late = T0 + 480 * 60
    assert r.first_due(late, 6) == ([(42, T0 + 7200), (7, late)], 2)  # longest overdue first
    r.saved(42, late, level(site, 0))  # measured again and fine: the reminder goes
    assert r.first_due(late, 6) == ([(7, late)], 1)
    remove_tree(root)


def test_overdue_come_before_due_soon_and_due_soon_the_soonest_first():
    root, site, store = setup("soon")
    r = reminders.Reminders(root, site).open(store)
    r.saved(1, T0, level(site, 9))  # 60 min
    r.saved(2, T0 - 1800, level(site, 9))
    r.saved(3, T0 + 600, level(site, 9))
    r.saved(4, T0 - 7200, level(site, 9))  # overdue at T0 + 601
    assert [p for p, _ in r.first_due(T0 + 601, 6)[0]] == [4, 2, 1, 3]
    assert r.first_due(T0 + 601, 6, within_s=3000) == ([(4, T0 - 3600), (2, T0 + 1800), (1, T0 + 3600)], 3)
    remove_tree(root)


def test_only_the_rows_asked_for_are_listed_with_the_count_of_all():
    root, site, store = setup("first")
    r = reminders.Reminders(root, site).open(store)
    # Saved in an order that is neither the due order nor its reverse, with two equal due times.
    for patient, minutes_ago in ((5, 10), (11, 70), (3, 40), (8, 70), (20, 5), (1, 55), (9, 30), (2, 65)):
        r.saved(patient, T0 - minutes_ago * 60, level(site, 9))  # due 60 min after the save
    r.saved(30, T0 + 5000, level(site, 9))  # not due within the hour
    first, total = r.first_due(T0, 5)
    assert total == 8 and first == [(8, T0 - 600), (11, T0 - 600), (2, T0 - 300), (1, T0 + 300), (3, T0 + 1200)]
    assert r.first_due(T0, 8)[0][:5] == first and len(r.first_due(T0, 20)[0]) == 8
    assert r.first_due(T0, 0) == ([], 8)
    remove_tree(root)


def test_the_file_is_replaced_atomically_and_read_back():
    root, site, store = setup("file")
    r = reminders.Reminders(root, site).open(store)
    r.saved(42, T0, level(site, 3, True))
    assert exists(root + "/reminders.json") and not exists(root + "/reminders.json.tmp")
    again = reminders.Reminders(root, site).open(store)
    assert again.next_due == {42: T0 + 3600} and again.problem is None
    remove_tree(root)


def test_a_missing_file_is_rebuilt_from_the_records():
    root, site, store = setup("rebuild")
    store.append(observation(42, T0, resp=22))  # total 2: 120 min
    store.append(observation(7, T0 + 60, pulse=135))  # a single 3: any3 level, 60 min
    store.append(observation(8, T0, resp=22))
    store.append(observation(8, T0 + 120))  # later and fine: no reminder for 8
    r = reminders.Reminders(root, site).open(store)
    assert r.next_due == {42: T0 + 7200, 7: T0 + 60 + 3600}
    assert exists(root + "/reminders.json") and r.problem is None
    remove_tree(root)


def test_a_broken_file_or_another_configuration_means_a_rebuild():
    root, site, store = setup("broken")
    store.append(observation(42, T0, resp=22))
    write(root + "/reminders.json", b'{"due": [[42, ')
    r = reminders.Reminders(root, site).open(store)
    assert r.next_due == {42: T0 + 7200} and "unreadable" in r.problem
    data = json.loads(read(root + "/reminders.json").decode())
    assert data["config_id"] == site.config_id
    data["config_id"] = "00000000"
    data["due"] = [[42, 1]]
    write(root + "/reminders.json", json.dumps(data).encode())
    r = reminders.Reminders(root, site).open(store)
    assert r.next_due == {42: T0 + 7200} and "another site configuration" in r.problem
    remove_tree(root)


def test_the_list_is_bounded_dropping_the_longest_overdue():
    root, site, store = setup("bounded")
    r = reminders.Reminders(root, site).open(store)
    for patient in range(1, reminders.MAX_PATIENTS + 3):
        r.saved(patient, T0 + patient, level(site, 9))
    assert len(r.next_due) == reminders.MAX_PATIENTS
    assert r.due_at(1) is None and r.due_at(2) is None and r.due_at(3) is not None
    remove_tree(root)


def test_a_save_cut_short_before_the_file_was_replaced_is_caught_up_from_the_records():
    root, site, store = setup("catch-up")
    r = reminders.Reminders(root, site).open(store)
    seq = store.append(observation(42, T0, resp=22))  # total 2: 120 min
    r.saved(42, T0, level(site, 2))
    assert json.loads(read(root + "/reminders.json").decode())["seq"] == seq
    # The power goes after the next two records are stored, before reminders.json is written again.
    store.append(observation(7, T0 + 60, pulse=135))  # any3 level: 60 min
    store.append(observation(42, T0 + 120))  # measured again and fine: no reminder for 42
    again = reminders.Reminders(root, site).open(RecordStore(root, free_bytes=lambda: PLENTY))
    assert again.next_due == {7: T0 + 60 + 3600} and "brought up to date" in again.problem
    assert json.loads(read(root + "/reminders.json").decode())["seq"] == seq + 2
    third = reminders.Reminders(root, site).open(RecordStore(root, free_bytes=lambda: PLENTY))
    assert third.next_due == {7: T0 + 60 + 3600} and third.problem is None
    remove_tree(root)


def test_a_file_that_does_not_fit_the_records_is_rebuilt_from_all_of_them():
    root, site, store = setup("mismatch")
    store.append(observation(42, T0, resp=22))
    r = reminders.Reminders(root, site).open(store)
    data = json.loads(read(root + "/reminders.json").decode())
    for seq, due in ((99, [[42, 1]]), (None, [[42, 1]])):  # ahead of the records; from before seq was kept
        data["due"] = due
        if seq is None:
            del data["seq"]
        else:
            data["seq"] = seq
        write(root + "/reminders.json", json.dumps(data).encode())
        r = reminders.Reminders(root, site).open(store)
        assert r.next_due == {42: T0 + 7200} and "rebuilt" in r.problem, (seq, r.problem)
    # Records the register acknowledged are no longer pending: a file older than them is rebuilt, not caught up.
    store.append(observation(7, T0, pulse=135))
    store.mark_synced(store.last_seq)
    data["seq"] = 1
    write(root + "/reminders.json", json.dumps(data).encode())
    r = reminders.Reminders(root, site).open(store)
    assert r.next_due == {42: T0 + 7200, 7: T0 + 3600} and "rebuilt" in r.problem
    remove_tree(root)


def follow_up(patient, measured_at, seq, action=1):
    return {
        "measured_at": measured_at, "clock_valid": True, "boot_count": 1, "ms_since_boot": 0,
        "device_id": b"PICO\x00\x01\x02\x03", "staff": 1002, "patient": patient, "follow_up": seq,
        "core_id": tobs_core.CORE_ID, "config_id": "00c0ffee", "action": action, "reason": 0,
    }


def test_a_set_saved_without_its_action_is_listed_until_a_follow_up_names_it_and_the_file_keeps_it():
    root, site, store = setup("lacking")
    r = reminders.Reminders(root, site).open(store)
    r.saved(42, T0, level(site, 10), (5, 10, True))
    r.saved(7, T0, level(site, 3), (6, 3, False))
    r.saved(8, T0, level(site, 3))  # saved with its action
    assert r.lacking() == [(5, 42, 10, True), (6, 7, 3, False)]
    again = reminders.Reminders(root, site).open(store)
    assert again.lacking() == [(5, 42, 10, True), (6, 7, 3, False)] and again.problem is None
    again.followed_up(5)
    assert again.lacking() == [(6, 7, 3, False)]
    assert reminders.Reminders(root, site).open(store).lacking() == [(6, 7, 3, False)]
    for seq in range(100, 100 + reminders.MAX_LACKING + 2):
        again.saved(9, T0, level(site, 3), (seq, 3, False))
    assert len(again.lacking()) == reminders.MAX_LACKING and again.lacking()[0][0] == 100 + 2  # oldest dropped
    remove_tree(root)


def test_sets_lacking_their_action_are_rebuilt_from_the_records_and_their_follow_ups():
    root, site, store = setup("lacking-rebuild")
    lacking = observation(42, T0, resp=22)
    lacking["action_missing"] = True
    first = store.append(lacking)
    second = store.append(dict(lacking, patient=7))
    store.append(follow_up(42, T0 + 300, first, action=2))
    r = reminders.Reminders(root, site).open(store)
    assert r.lacking() == [(second, 7, 2, False)] and r.next_due == {42: T0 + 7200, 7: T0 + 7200}
    # Cut short before the file was written: the follow-up in the log is caught up at the next start.
    r.saved(8, T0, level(site, 2), (store.append(dict(lacking, patient=8)), 2, False))
    store.append(follow_up(7, T0 + 400, second))
    again = reminders.Reminders(root, site).open(RecordStore(root, free_bytes=lambda: PLENTY))
    assert [item[1] for item in again.lacking()] == [8] and "brought up to date" in again.problem
    remove_tree(root)
