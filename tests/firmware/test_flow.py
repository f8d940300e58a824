# The nurse's screen flow, driven key by key on a text-grid display with the real record store: the normal path
# to a saved record, every refusal, back/delete/cancel, the typo guard, the rectal rule, idle logout, a full
# store, the status screen, and that every screen fits 16x8 characters. Runs on CPython and MicroPython.
# (test_flow_night.py holds one test per finding of the night shift typed from the README; test_flow_property.py
# the random key sequences.)
import json
import sys

from flow_support import DEFAULT_CONFIG, Rig, read

import tobs_core
from handheld import localtime, siteconfig_load, text, ui

LOGIN = "1001#1234#"
NORMAL = "42#72#16#375#120#1"  # patient 42 ... awareness habitual: total 0


def measuring(name, keys=""):
    rig = Rig(name).keys(LOGIN + "#")
    assert rig.flow.state == ui.PATIENT
    return rig.keys(keys)


def to_review(rig, vitals=NORMAL):
    rig.keys(vitals)  # the awareness digit is the last key: one key picks it
    assert rig.flow.state == ui.REVIEW, (rig.flow.state, rig.disp.screen())


def wrapped(sentence):
    return text.wrap(sentence)[0]


def values_page(rig):
    """The review's values (the page after the guidance), as the rows shown."""
    rig.keys("8")
    return rig.disp.lines()[1:7]


def test_the_start_screen_says_decision_support_and_example_and_asks_for_the_staff_number():
    rig = Rig("flow-start")
    lines = rig.disp.lines()
    assert lines[0] == "TOBS  EKSEMPEL" and rig.disp.inverse_rows() == [0]
    assert lines[1:4] == ["Beslutnings-", "støtte – ikke", "diagnose"]
    assert text.plain(text.get("da", "disclaimer")) == "Beslutningsstøtte – ikke diagnose"
    assert lines[4] == "Medarbejdernr.:"
    rig.done()


def test_a_normal_measurement_is_saved_with_exactly_the_agreed_fields():
    rig = measuring("flow-normal")
    to_review(rig, "42#72#22#375#120#1")  # respiration 22 scores 2: total 2, level 2-4
    screen = rig.disp.screen()
    assert "Pt 42" in screen and "TOBS i alt" in screen and "2" in rig.disp.bigs
    assert rig.disp.lines()[2:6] == ["Kontakt", "sygeplejerske.", "sygeplejerske", "Tlf. 5555"]
    page = values_page(rig)
    assert page[0] == "Puls" + " " * 6 + "72  0" and page[1].endswith("22  2")
    rig.keys("#")
    assert rig.flow.state == ui.ACTION and rig.disp.lines()[0] == "Handling udført:"
    rig.keys("2")  # one key: "Kont. læge" does not need a reason
    assert rig.flow.state == ui.SAVED and rig.disp.lines()[0] == "Gemt"
    assert "Kont. læge" in rig.disp.screen() and "Mål igen om 2 t." in rig.disp.screen()
    records = rig.records()
    assert len(records) == 1
    r = records[0]
    del r["seq"], r["tag"]
    assert r == {
        "measured_at": rig.board.now(), "clock_valid": True, "boot_count": rig.store.boot_count,
        "ms_since_boot": rig.board.ms, "device_id": rig.board.uid, "staff": 1001, "patient": 42, "pulse": 72,
        "resp": 22, "temp_raw": 375, "temp_site": "rectal", "sys_bp": 120, "awareness": "habitual",
        "points": {"pulse": 0, "resp": 2, "temp": 0, "sys_bp": 0, "awareness": 0}, "total": 2,
        "core_id": tobs_core.CORE_ID, "config_id": rig.site.config_id, "action": 2, "reason": 0,
        "action_missing": False,
    }, r
    rig.keys("#")  # next patient
    assert rig.flow.state == ui.PATIENT and rig.flow.entry == "" and rig.flow.values == {}
    rig.done()


def test_the_review_shows_the_guidance_first_and_the_values_with_their_points_one_key_away():
    rig = measuring("flow-review")
    to_review(rig, "42#72#16#A370#120#1")  # 37,0 oral = 37,5 after correction
    guidance, values, last = [[line for line, _ in page] for page in rig.flow.review]
    assert guidance == ["Ingen handling.", "Mål igen efter", "skøn."]
    assert values == ["Puls" + " " * 6 + "72  0", "Resp." + " " * 5 + "16  0", "Temp." + " " * 3 + "37,0  0",
                      " oral = 37,5", "Syst. BT 120  0", "Bevidsth." + " " * 5 + "0"]
    assert last == [" Habituel"]
    shown = rig.disp.lines()
    assert shown[0].startswith("Pt 42 ") and shown[1] == "TOBS i alt" and rig.disp.bigs == ["0"]
    assert shown[2:5] == guidance and shown[7] == "#=gem  8=værdier"
    rig.keys("8")
    shown = rig.disp.lines()
    assert shown[0] == "Pt 42     TOBS 0" and shown[1:7] == values and shown[7] == "#=gem 2=op 8=ned"
    rig.keys("8")
    assert rig.disp.lines()[1:3] == [" Habituel", ""]
    rig.keys("8")  # already at the end
    assert rig.disp.lines()[1] == " Habituel"
    rig.keys("2")
    assert rig.disp.lines()[1:7] == values
    rig.keys("22")
    assert rig.disp.lines()[2:5] == guidance and rig.disp.bigs == ["0"]
    rig.done()


def test_an_urgent_band_shows_its_guidance_inverse_with_who_to_call():
    rig = measuring("flow-urgent")
    to_review(rig, "42#115#22#390#90#2")  # 2 + 2 + 2 + 1 + 1 = 8: level 5+
    assert "8" in rig.disp.bigs
    first = rig.flow.review[0]
    assert first == [(line, True) for line in ("Kontakt læge nu.", "Ved livsfare:", "112.", "Kontakt læge",
                                               "Tlf. 1813")], first
    assert rig.disp.lines()[2:7] == [line for line, _ in first] and rig.disp.inverse_rows() == [2, 3, 4, 5, 6]
    rig.done()


def test_a_single_3_escalates_to_the_any_three_band():
    rig = measuring("flow-any3")
    to_review(rig, "42#135##16#375#120#1")  # pulse 135 scores 3 (confirmed), total 3
    assert rig.flow.result.total == 3 and rig.flow.guidance["id"] == "any3"
    rig.done()


def test_each_implausible_value_is_refused_naming_the_field_and_stays_for_correction():
    cases = (("pulse", "", "300", "Puls"), ("resp", "72#", "2", "Respiration"),
             ("temp", "72#16#", "200", "Temperatur"), ("sys_bp", "72#16#375#", "30", "Systolisk BT"))
    for field, before, bad, name in cases:
        rig = measuring("flow-bad-" + field, "42#" + before)
        assert rig.flow.state == field and rig.flow.entry == ""
        rig.keys(bad + "#")
        assert rig.flow.state == field and rig.flow.entry == bad and rig.flow.selected
        assert rig.disp.selected == [text.temp(int(bad), "da") if field == "temp" else bad]
        message = " ".join(rig.disp.lines()[4:7]).strip()
        assert message.startswith(name + " skal være mellem"), message
        rig.keys("1")  # typing replaces the refused value; the sentence stays until the next OK
        assert rig.flow.entry == "1" and not rig.flow.selected and " ".join(rig.disp.lines()[4:7]).strip() == message
        assert rig.records() == []
        rig.done()


def test_confirming_an_empty_field_asks_for_a_value():
    rig = measuring("flow-empty")
    rig.keys("#")
    assert rig.flow.state == ui.PATIENT and wrapped("Skriv patientens nummer.") in rig.disp.screen()
    rig.keys("0#")
    assert rig.flow.state == ui.PATIENT and "Patientnummer" in rig.disp.screen()
    rig.keys("*42#")
    assert rig.flow.state == "pulse"
    rig.keys("#")
    assert rig.flow.state == "pulse" and rig.disp.lines()[4] == "Skriv en værdi."
    rig.done()


def test_the_keypad_only_takes_as_many_digits_as_a_field_can_hold_and_a_full_value_moves_on():
    rig = measuring("flow-digits", "123456789")
    assert rig.flow.entry == "12345678" and "12345678" in rig.disp.bigs
    assert rig.disp.lines()[4] == "Højst 8 cifre."  # a full field says so
    rig.keys("*")
    assert rig.disp.lines()[4] == "" and rig.flow.entry == "1234567"
    rig.keys("8#1234")  # the third digit fills the pulse: it is confirmed, and the 4 is the respiration's
    assert rig.flow.values["pulse"] == 123 and rig.flow.state == "resp" and rig.flow.entry == "4"
    rig.done()


def test_a_wrong_pin_or_unknown_staff_number_stays_on_its_screen():
    rig = Rig("flow-pin")
    rig.keys("4242#")
    assert rig.flow.state == ui.START and "Ukendt" in rig.disp.screen() and rig.disp.selected == ["4242"]
    rig.keys("*#")  # * clears the refused number
    assert "Skriv dit" in rig.disp.screen()
    rig.keys("1001#")
    assert rig.flow.state == ui.PIN and rig.disp.lines()[0] == "Medarb. 1001"
    assert rig.disp.lines()[7] == "#=OK  *=ret"  # no C here: there is no measurement to cancel
    rig.keys("99")
    assert "**_" in rig.disp.bigs and "99" not in rig.disp.screen()
    rig.keys("99#")
    assert rig.flow.state == ui.PIN and rig.flow.entry == ""
    assert rig.disp.lines()[4:6] == ["Forkert PIN.", "Prøv igen."]
    assert rig.flow.staff is None
    rig.keys("#")
    assert rig.flow.state == ui.PIN and "Skriv din" in rig.disp.screen()
    rig.keys("*")  # back to the staff number
    assert rig.flow.state == ui.START
    rig.keys("1002#5678#")
    assert rig.flow.state == ui.HOME and rig.flow.staff == 1002
    rig.keys("*")  # log out: asked first
    assert rig.flow.overlay == "logout" and rig.disp.lines()[2] == "Log ud?"
    rig.keys("#")
    assert rig.flow.state == ui.START and rig.flow.staff is None
    rig.done()


def test_star_deletes_digits_and_on_an_empty_field_goes_back_with_the_value_kept():
    rig = measuring("flow-back", "42#72#1")
    assert rig.flow.state == "resp" and rig.flow.entry == "1"
    rig.keys("*")
    assert rig.flow.entry == ""
    rig.keys("*")
    assert rig.flow.state == "pulse" and rig.flow.entry == "72" and "72_" in rig.disp.bigs
    rig.keys("*8#")
    assert rig.flow.values["pulse"] == 78 and rig.flow.state == "resp"
    rig.keys("*" + "**" + "*")  # resp empty -> pulse "78" -> deleted -> back to patient
    assert rig.flow.state == ui.PATIENT and rig.flow.entry == "42"
    rig.keys("***")  # a pulse is entered: leaving the patient number asks before it is discarded
    assert rig.flow.overlay == "cancel" and rig.flow.state == ui.PATIENT
    rig.keys("#")
    assert rig.flow.state == ui.HOME and rig.flow.values == {}
    rig.keys("#*")  # nothing entered: * on the empty patient number just goes home
    assert rig.flow.state == ui.HOME and rig.flow.overlay is None
    rig.done()


def test_star_goes_back_from_awareness_review_action_and_reason():
    rig = measuring("flow-back-menus")
    to_review(rig, "42#72#22#375#120#1")
    rig.keys("#5#")  # action Observeres in an escalating level: a reason is needed
    assert rig.flow.state == ui.REASON
    rig.keys("*")
    assert rig.flow.state == ui.ACTION
    rig.keys("*")
    assert rig.flow.state == ui.REVIEW
    rig.keys("*")
    assert rig.flow.state == ui.AWARENESS and rig.flow.choice == 0
    rig.keys("*")
    assert rig.flow.state == "sys_bp" and rig.flow.entry == "120"
    assert rig.records() == []
    rig.done()


def test_cancel_asks_first_and_can_be_aborted():
    rig = measuring("flow-cancel", "42#72#1")
    rig.keys("C")
    assert rig.flow.overlay == "cancel" and rig.disp.lines()[2] == "Afbryd måling?"
    rig.keys("5")  # neither yes nor no: still asking
    assert rig.flow.overlay == "cancel"
    rig.keys("*")
    assert rig.flow.overlay is None and rig.flow.state == "resp" and rig.flow.entry == "1"
    rig.keys("6#375#120#1#")
    rig.keys("C#")
    assert rig.flow.state == ui.HOME and rig.flow.values == {} and rig.records() == []
    assert "measurement cancelled" in rig.board.logs
    rig.done()


def test_a_value_worth_3_points_must_be_confirmed_or_re_entered():
    rig = measuring("flow-confirm3", "42#135#")
    assert rig.flow.overlay == "confirm3" and rig.disp.lines()[4] == "Bekræft: 3 point"
    assert rig.disp.inverse_rows() == [0, 4]
    rig.keys("*")
    assert rig.flow.state == "pulse" and rig.flow.entry == "" and "pulse" not in rig.flow.values
    rig.keys("135#" "#")
    assert rig.flow.state == "resp" and rig.flow.values["pulse"] == 135
    rig.keys("16#375#120#")
    rig.keys("5#")  # no response scores 3 as well
    assert rig.flow.overlay == "confirm3" and "Ingen reaktion" in rig.disp.screen()
    rig.keys("*")
    assert rig.flow.state == ui.AWARENESS and rig.flow.choice is None
    rig.keys("#")
    assert rig.disp.lines()[0] == "Vælg 1-5."
    rig.keys("5#" "#")
    assert rig.flow.state == ui.REVIEW and rig.flow.result.total == 6
    rig.done()


def test_a_non_rectal_temperature_outside_36_40_after_correction_asks_for_a_rectal_reading():
    rig = measuring("flow-rectal", "42#72#16#")
    assert rig.disp.lines()[1] == "Temp. rektal"
    rig.keys("AA")
    assert rig.flow.temp_site == "axillary" and rig.disp.lines()[1] == "Temp. aksillær"
    rig.keys("A")
    assert rig.flow.temp_site == "rectal"
    rig.keys("A")
    assert rig.flow.temp_site == "oral"
    rig.keys("35")
    assert "3,5_" in rig.disp.bigs
    rig.keys("0")  # three digits: the temperature is confirmed
    assert rig.flow.state == "temp" and rig.flow.temp_site == "rectal" and rig.flow.entry == ""
    assert rig.disp.lines()[1] == "Temp. rektal"
    assert rig.disp.lines()[4:6] == ["Mål rektalt", "(kor. 35,5)."], rig.disp.lines()
    rig.keys("350#")  # rectal 35,0 scores 2 and is accepted
    assert rig.flow.state == "sys_bp" and rig.flow.values["temp"] == 350
    rig.done()


def test_an_oral_reading_inside_the_range_is_scored_corrected_and_stored_as_read():
    rig = measuring("flow-oral")
    rig.keys("42#72#16#A376#120#1#")  # 37,6 oral = 38,1: 1 point
    assert rig.flow.result.points["temp"] == 1
    rig.keys("#2#")
    r = rig.records()[0]
    assert r["temp_raw"] == 376 and r["temp_site"] == "oral" and r["points"]["temp"] == 1
    rig.done()


def test_observe_in_an_escalating_band_needs_a_reason_and_the_reason_is_stored():
    rig = measuring("flow-reason")
    to_review(rig, "42#72#22#375#120#1")
    rig.keys("##")
    assert rig.flow.state == ui.ACTION and rig.disp.lines()[0] == "Vælg handling"
    rig.keys("5")
    assert rig.flow.state == ui.REASON and rig.disp.lines()[0] == "Begrundelse:"
    rig.keys("#")
    assert rig.disp.lines()[0] == "Vælg begrundelse"
    rig.keys("*")  # back to the action menu, the choice kept
    assert rig.flow.state == ui.ACTION and rig.disp.inverse_rows() == [0, 5]
    rig.keys("#3")
    assert rig.flow.state == ui.SAVED
    r = rig.records()[0]
    assert (r["action"], r["reason"]) == (5, 3)
    rig.done()


def test_a_low_band_takes_observe_without_a_reason_and_may_skip_the_action():
    rig = measuring("flow-optional")
    to_review(rig)
    rig.keys("#")
    assert rig.disp.lines()[0] == "Evt. handling:"
    rig.keys("#")
    assert rig.flow.state == ui.SAVED and "Ingen påmindelse" in rig.disp.screen()
    rig.keys("#" + NORMAL + "#" + "5")
    assert rig.flow.state == ui.SAVED
    assert [(r["action"], r["reason"]) for r in rig.records()] == [(0, 0), (5, 0)]
    rig.done()


def test_idle_logout_keeps_the_unsaved_entry_as_a_draft_after_the_configured_minutes():
    rig = measuring("flow-idle", "42#72#")
    rig.board.advance(10 * 60000 - 1)
    assert not rig.flow.tick() and rig.flow.state == "resp"
    rig.board.advance(1)
    assert rig.flow.tick()
    assert rig.flow.state == ui.START and rig.flow.staff is None and rig.flow.values == {}
    assert rig.disp.lines()[0] == "TOBS  EKSEMPEL" and rig.records() == []
    assert "idle logout: patient 42 kept as a draft" in rig.board.logs
    rig.board.advance(3600000)
    assert not rig.flow.tick()  # the start screen with nothing typed has nothing to time out
    rig.keys("1")
    rig.board.advance(10 * 60000)
    assert rig.flow.tick() and rig.flow.entry == ""
    rig.keys(LOGIN)
    assert rig.flow.state == ui.RESUME and rig.disp.lines()[2:4] == ["Fortsæt måling", "for pt 42?"]
    rig.keys("#")
    assert rig.flow.state == "resp" and rig.flow.values == {"pulse": 72} and rig.flow.patient == 42
    rig.done()


def test_a_key_restarts_the_idle_time():
    rig = measuring("flow-idle-key")
    rig.board.advance(9 * 60000)
    rig.keys("4")
    rig.board.advance(9 * 60000)
    rig.flow.tick()
    assert rig.flow.state == ui.PATIENT and rig.flow.entry == "4"
    rig.done()


def test_idle_logout_after_save_was_pressed_keeps_the_measurement_without_an_action():
    rig = measuring("flow-idle-action")
    to_review(rig, "42#72#22#375#120#1")
    rig.keys("#5")
    rig.board.advance(10 * 60000)
    rig.flow.tick()
    assert rig.flow.state == ui.START
    assert [(r["patient"], r["action"], r["reason"]) for r in rig.records()] == [(42, 0, 0)]
    rig.done()


def wait(rig, minutes):
    """Let time pass on the home screen, with a key (ignored there) every 5 minutes so nobody is logged out."""
    for _ in range(minutes // 5):
        rig.board.advance(5 * 60000)
        rig.keys("0")
    rig.board.advance(minutes % 5 * 60000)
    return rig.flow.tick()


def test_home_lists_overdue_patients_first_in_words_and_inverse_then_those_due_soon():
    rig = measuring("flow-home")
    rig.keys("42#72#22#375#120#1#" "#2")  # patient 42: level 2-4, again in 120 min
    rig.keys("#" "7#72#16#375#120#" "2#" "#" "#")  # patient 7: total 1, again in 480 min
    rig.keys("*")
    assert rig.flow.state == ui.HOME and "Ingen målinger" in rig.disp.screen()
    assert wait(rig, 61)  # a new minute: the list is redrawn
    assert rig.disp.lines()[1] == "1 42" + " " * 6 + "om 59m" and rig.disp.inverse_rows() == [0]
    assert not rig.flow.tick()  # same minute: nothing to redraw
    wait(rig, 59)
    assert rig.disp.lines()[1] == "1 42" + " " * 10 + "nu" and rig.disp.inverse_rows() == [0]
    wait(rig, 1)
    assert rig.disp.lines()[1] == "1 42" + " " * 5 + "1m over" and rig.disp.inverse_rows() == [0, 1]
    wait(rig, 358)
    lines = rig.disp.lines()
    assert lines[1] == "1 42" + " " * 5 + "5t over" and lines[2] == "2 7" + " " * 8 + "om 1m", lines
    assert rig.disp.inverse_rows() == [0, 1] and lines[7] == "#=ny 1-2=pt *=ud"
    wait(rig, 1)
    assert rig.disp.lines()[2] == "2 7" + " " * 11 + "nu" and rig.disp.inverse_rows() == [0, 1]
    rig.keys("2")  # one key starts patient 7's measurement
    assert rig.flow.state == "pulse" and rig.flow.patient == 7
    rig.done()


def test_a_full_store_refuses_before_vitals_and_at_save_without_losing_the_entry():
    rig = Rig("flow-full").keys(LOGIN)
    rig.free = 0
    rig.keys("#")
    assert rig.flow.state == ui.HOME and rig.flow.overlay == "notice"
    assert rig.disp.lines()[1:3] == ["Hukommelse fuld", "– synkronisér"]
    rig.keys("5")  # any key closes the notice
    assert rig.flow.overlay is None and rig.flow.state == ui.HOME
    rig.free = 1 << 20
    rig.keys("#")
    to_review(rig, "42#72#22#375#120#1")
    rig.free = 0
    rig.keys("#")
    assert rig.flow.state == ui.REVIEW and "Hukommelse fuld" in rig.disp.screen()
    rig.keys("#")  # close the notice; the entry is still there
    rig.free = 1 << 20
    rig.keys("#")
    rig.free = 0  # full between the review and the save itself: StoreFull from append
    rig.keys("1")
    assert rig.flow.state == ui.ACTION and rig.flow.overlay == "notice" and rig.records() == []
    rig.free = 1 << 20
    rig.keys("*1")  # * closes the notice, and the action is chosen again
    assert rig.flow.state == ui.SAVED and len(rig.records()) == 1
    rig.free = 0
    rig.keys("#")  # the next patient: refused too
    assert rig.flow.state == ui.HOME and rig.flow.overlay == "notice"
    rig.done()


def test_the_status_screen_shows_the_device_and_returns_to_the_same_entry():
    rig = measuring("flow-status", "42#7")
    rig.keys("D")
    lines = rig.disp.lines()
    assert lines[0] == "Status" and lines[1] == "EKSEMPEL-OPSÆTN." and 1 in rig.disp.inverse_rows()
    assert lines[2] == "Usynk.: 0" and lines[3] == "Fri: 1408 kB"
    assert lines[4] == localtime.local(rig.board.now()) and lines[5] == "Ur stillet"
    rig.keys("8")
    screen = rig.disp.screen()
    assert "e66141032b4f5826" in screen and "Kerne " + tobs_core.CORE_ID in screen
    assert "Opsæt. " + rig.site.config_id in screen and "EKSEMPEL\nPlejecenter" in screen  # the whole site name
    rig.keys("B")
    assert rig.reports == 1 and rig.disp.lines()[0] == "Heap 42 kB"
    rig.keys("2")
    assert rig.disp.lines()[1] == "EKSEMPEL-OPSÆTN."
    rig.keys("#")
    assert rig.flow.overlay is None and rig.flow.state == "pulse" and rig.flow.entry == "7"
    rig.board.valid = False
    rig.keys("D")
    assert "Ur ikke stillet!" in rig.disp.screen()
    rig.keys("C")  # any other key returns, and does not cancel
    assert rig.flow.overlay is None and rig.flow.state == "pulse"
    rig.done()


def test_the_status_screen_counts_unsynced_records():
    rig = Rig("flow-status-count")
    rig.keys(LOGIN + "#" + NORMAL + "##" + "#")
    assert len(rig.records()) == 1
    rig.keys("D")
    lines = rig.disp.lines()
    assert lines[1:3] == ["EKSEMPEL-OPSÆTN.", "Usynk.: 1"], lines
    rig.done()


def test_english_screens_fit_too():
    site = json.loads(read(DEFAULT_CONFIG).decode())
    site["language"] = "en"
    rig = Rig("flow-english", json.dumps(site).encode())
    assert rig.disp.lines()[1:3] == ["Decision support", "– not diagnosis"]
    rig.keys(LOGIN + "#42#300#")
    assert " ".join(rig.disp.lines()[4:7]).strip() == "Pulse must be between 20 and 250."
    rig.keys("*135#")
    assert "Confirm: 3 pts" in rig.disp.screen()
    rig.keys("#16#A350#")
    assert rig.disp.lines()[4:6] == ["Measure rectally", "(corr. 35.5)."]
    rig.keys("375#120#1")
    assert rig.disp.lines()[1] == "TOBS total" and rig.flow.guidance["id"] == "any3"
    assert rig.disp.lines()[2:6] == ["One value scores", "3: call now.", "Contact nurse", "Phone 5555"]
    assert rig.disp.lines()[7] == "#=save  8=values"
    rig.keys("8")
    assert rig.disp.lines()[1] == "Pulse    135  3!" and rig.disp.lines()[7] == "#=save 2=up 8=dn"
    rig.keys("D8" "#" "#1")
    assert rig.flow.state == ui.SAVED and rig.disp.lines()[0] == "Saved"
    rig.keys("*")
    assert rig.disp.lines()[7] == "#=new 1-1 *=out"
    rig.done()
    rig.done()


def test_a_new_site_configuration_takes_effect_on_the_screen():
    rig = Rig("flow-new-site")
    data = json.loads(read(DEFAULT_CONFIG).decode())
    data["example"] = False
    data["language"] = "en"
    root = rig.root
    with open(root + "/site.json", "wb") as f:
        f.write(json.dumps(data).encode())
    site = siteconfig_load.load(root, DEFAULT_CONFIG)
    rig.flow.set_site(site)
    assert rig.disp.lines()[0] == "TOBS" and rig.disp.lines()[4] == "Staff number:"
    rig.keys(LOGIN + "#" + NORMAL + "###")
    assert rig.records()[0]["config_id"] == site.config_id != rig.site.config_id
    rig.done()


def test_home_shows_five_reminders_and_how_many_more_when_they_do_not_fit():
    rig = Rig("flow-home-more").keys(LOGIN)
    level = rig.site.guidance_for(3, True)  # 60 minutes
    for patient in range(1, 9):
        rig.reminders.saved(patient, rig.board.now() - 3600 - patient * 60, level)
    rig.keys("0")  # any key on home redraws it
    lines = rig.disp.lines()
    assert [line[:4] for line in lines[1:6]] == ["1 8 ", "2 7 ", "3 6 ", "4 5 ", "5 4 "]
    assert [line[-7:] for line in lines[1:6]] == ["8m over", "7m over", "6m over", "5m over", "4m over"]
    assert lines[6] == "+3 flere" and rig.disp.inverse_rows() == [0, 1, 2, 3, 4, 5]
    assert lines[7] == "#=ny 1-5=pt *=ud"
    rig.done()


def loaded_screens():
    return sorted(name[len("handheld.screen_"):] for name in sys.modules if name.startswith("handheld.screen_"))


def test_only_the_screen_group_in_use_is_loaded_and_the_status_screen_only_while_shown():
    rig = measuring("flow-groups", "42#72#16#375#")
    assert loaded_screens() == ["entry"]
    rig.keys("D")
    assert loaded_screens() == ["entry", "status"]
    rig.keys("#")
    assert loaded_screens() == ["entry"] and rig.flow.state == "sys_bp"
    rig.keys("120#1")
    assert rig.flow.state == ui.REVIEW and loaded_screens() == ["review"]
    rig.keys("*")  # back to awareness: the entry screens come back, the review goes
    assert rig.flow.state == ui.AWARENESS and loaded_screens() == ["entry"]
    rig.keys("##")
    assert rig.flow.state == ui.ACTION and loaded_screens() == ["action"]
    rig.keys("#")
    assert rig.flow.state == ui.SAVED and loaded_screens() == ["action"]
    rig.keys("*")
    assert rig.flow.state == ui.HOME and loaded_screens() == ["home"]
    rig.keys("D")
    rig.board.advance(10 * 60000)
    rig.flow.tick()  # idle logout from the status screen
    assert rig.flow.state == ui.START and loaded_screens() == ["entry"]
    rig.done()


def test_a_new_site_configuration_guides_the_review_on_screen():
    rig = measuring("flow-new-site-review")
    to_review(rig, "42#72#22#375#120#1")
    assert rig.flow.guidance["id"] == "2-4" and rig.flow.review[-1][-1][0] == "Mål igen om 2 t."
    data = json.loads(read(DEFAULT_CONFIG).decode())
    data["language"] = "en"
    data["guidance"][2]["remeasure_min"] = 90
    rig.flow.set_site(siteconfig_load.parse(json.dumps(data).encode()))
    assert rig.flow.state == ui.REVIEW
    assert [line for line, _ in rig.flow.review[-1]] == ["Measure again in", "90 min."]
    assert rig.flow.review[0][-1] == ("Phone 5555", True) and rig.disp.lines()[1] == "TOBS total"
    rig.done()


def test_only_a_hash_typed_in_rhythm_after_a_field_moved_on_by_itself_is_ignored():
    rig = measuring("flow-rhythm", "42#72#16")  # the respiration is full: on to the temperature
    rig.keys("#")  # in rhythm: the respiration's OK
    assert rig.flow.state == "temp" and rig.flow.msg is None
    rig.keys("375")
    rig.board.advance(1500)  # the nurse looked at the screen first: this # is for the blood pressure field
    rig.keys("#")
    assert rig.flow.state == "sys_bp" and rig.disp.lines()[4] == "Skriv en værdi."
    rig.keys("120" "5")  # no response scores 3
    assert rig.flow.overlay == "confirm3"
    rig.keys("#")  # straight after the menu key: not an answer to the question
    assert rig.flow.overlay == "confirm3"
    rig.board.advance(1200)
    rig.keys("#")  # read, then confirmed with one key
    assert rig.flow.state == ui.REVIEW and rig.flow.awareness == "unresponsive"
    rig.done()
