# The draft of a measurement in progress (handheld/draft.py): kept per staff member, replaced atomically, offered
# back with every confirmed value, never to another nurse, gone once saved or discarded, and a damaged or
# already-saved draft is removed instead of offered. Runs on CPython and MicroPython.
from flow_support import Rig, exists, read, write

import handheld
from handheld import ui

LOGIN = "1001#1234#"


def draft_path(rig, staff=1001):
    return rig.root + "/draft%d.json" % staff


def load(rig, staff=1001):
    return handheld.once("draft", "load", rig.root, staff, rig.store, rig.board.log)


def test_every_confirmed_step_rewrites_the_draft_with_what_is_confirmed_so_far():
    rig = Rig("draft-steps").keys(LOGIN + "#")
    assert not exists(draft_path(rig))  # no patient number yet: nothing to keep
    rig.keys("42#")
    assert load(rig) == {"patient": 42, "values": {}, "temp_site": "rectal", "awareness": None, "state": "pulse",
                         "entry": ""}
    rig.keys("72#16A37")  # the temperature is half typed and its site changed, neither confirmed
    offer = load(rig)
    assert offer["values"] == {"pulse": 72, "resp": 16} and offer["state"] == "temp" and offer["entry"] == ""
    rig.keys("8")
    rig.keys("120" "2")
    offer = load(rig)
    assert offer["values"] == {"pulse": 72, "resp": 16, "temp": 378, "sys_bp": 120} and offer["state"] == "review"
    assert offer["temp_site"] == "oral" and offer["awareness"] == "agitated"
    assert not exists(draft_path(rig) + ".tmp")  # written aside and renamed
    rig.done()


def test_the_draft_goes_when_the_set_is_saved_or_discarded():
    rig = Rig("draft-gone").keys(LOGIN + "#42#72#16375120" "1")
    assert exists(draft_path(rig))
    rig.keys("##")
    assert rig.flow.state == ui.SAVED and not exists(draft_path(rig))
    rig.keys("#43#72#")
    assert load(rig)["patient"] == 43
    rig.keys("C#")  # cancelled on purpose
    assert not exists(draft_path(rig))
    rig.done()


def test_an_idle_logout_keeps_the_half_typed_value_and_only_its_nurse_is_offered_it():
    rig = Rig("draft-offer").keys(LOGIN + "#42#72#1")
    rig.board.advance(rig.site.idle_ms)
    rig.flow.tick()
    assert rig.flow.state == ui.START
    rig.keys("1002#5678#")  # another nurse: her own home screen
    assert rig.flow.state == ui.HOME
    rig.keys("*#" + LOGIN)
    assert rig.flow.state == ui.RESUME and rig.disp.lines()[0] == "Ufærdig måling"
    assert rig.disp.lines()[2:4] == ["Fortsæt måling", "for pt 42?"] and rig.disp.lines()[7] == "#=ja  C=kassér"
    rig.keys("5")  # nothing else passes the offer by
    assert rig.flow.state == ui.RESUME
    rig.keys("#")
    assert rig.flow.state == "resp" and rig.flow.entry == "1" and rig.flow.values == {"pulse": 72}
    rig.keys("6")  # the respiration is finished where it was left
    assert rig.flow.state == "temp"
    rig.done()


def test_a_draft_left_on_the_confirm_3_question_comes_back_typed_to_be_confirmed_then():
    rig = Rig("draft-confirm3").keys(LOGIN + "#42#135")
    assert rig.flow.overlay == "confirm3"
    rig.board.advance(rig.site.idle_ms)
    rig.flow.tick()
    rig.keys(LOGIN + "#")
    assert rig.flow.state == "pulse" and rig.flow.entry == "135" and rig.flow.values == {}
    rig.keys("#")
    assert rig.flow.overlay == "confirm3"
    rig.done()


def test_a_damaged_draft_is_removed_and_said_in_the_log_instead_of_offered():
    rig = Rig("draft-damaged")
    for damage in (b'{"patient": 42, "values": {"pulse": 999}, "temp_site": "rectal", "awareness": null, '
                   b'"state": "resp", "entry": "", "seq": 0}', b'{"patient": 42', b"", b'{"state": "review", '
                   b'"patient": 7, "values": {"pulse": 72}, "temp_site": "rectal", "awareness": null, "entry": "", '
                   b'"seq": 0}'):
        write(draft_path(rig), damage)
        rig.keys(LOGIN)
        assert rig.flow.state == ui.HOME, damage
        assert not exists(draft_path(rig)) and "draft of staff 1001" in rig.board.logs[-1], rig.board.logs[-1]
        rig.keys("*#")
    rig.done()


def test_a_draft_whose_record_was_saved_before_the_power_went_is_not_offered_twice():
    rig = Rig("draft-saved").keys(LOGIN + "#42#72#16375120" "1")
    kept = read(draft_path(rig))
    rig.keys("##")
    assert len(rig.records()) == 1
    write(draft_path(rig), kept)  # as if the power went between the save and the draft's removal
    rig.keys("*")
    rig.keys("*#" + LOGIN)
    assert rig.flow.state == ui.HOME and not exists(draft_path(rig))
    assert "draft of staff 1001 for patient 42 was saved already, removed" in rig.board.logs
    rig.done()
