"""The nurse's screen flow end to end: the real firmware on the virtual Pico (128k heap), driven by its keypad and
judged by what its OLED shows in Danish; saved records are checked on the device's flash afterwards."""

import hashlib
import re

import pytest
from handheld_support import (
    FIRMWARE,
    HOME_TITLE,
    IDLE_LOGOUT_MS,
    NOTHING_DUE,
    OTHER_STAFF,
    STAFF_PROMPT,
    START_TITLE,
    login,
    observation_keys,
    read_flash,
    reads,
    rows,
    said,
    shows,
    start_handheld,
)
from micropython_support import sim_build_fixture  # noqa: F401  (fixture)

import tobs_core

BARE_PICO_EPOCH = 1609459200  # the virtual Pico's clock starts here, not set, like a Pico without an RTC
CONFIG_ID = hashlib.sha256((FIRMWARE / "site_default.json").read_bytes()).hexdigest()[:8]
ZERO_POINTS = {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}


@pytest.fixture(name="pico")
def pico_fixture(tmp_path, sim_build):
    pico = start_handheld(tmp_path / "pico", sim_build)
    yield pico
    pico.stop()


def records_on_flash(pico, tmp_path):
    pico.stop()
    return read_flash(pico.flash, tmp_path / "dump")


def unsynced(pico) -> int:
    """The count the status screen shows (D opens it, # closes it again)."""
    pico.press("D")
    found = [int(m.group(1)) for r in rows(pico) for m in [re.fullmatch(r"Usynk\.: (\d+)", r)] if m]
    pico.press("#")
    assert len(found) == 1, rows(pico)
    return found[0]


def entry_screen(pico, header: str, label: str, shown: str) -> None:
    """A number entry: inverse header, the field's label, the typed digits in double size and the hint."""
    lines = rows(pico)
    assert lines[0] == header and lines[1] == label, lines
    assert pico.screen.big_text() == shown, pico.screen.big_text()
    assert 0 in pico.screen.inverted_rows()


# ---- the normal flow --------------------------------------------------------------------------------------------
def test_start_screen_says_example_and_decision_support(pico):
    lines = rows(pico)
    assert lines[0] == START_TITLE and pico.screen.inverted_rows() == [0]
    assert said(pico, 1, 3) == "Beslutnings- støtte – ikke diagnose"
    assert lines[4] == STAFF_PROMPT and lines[7] == "#=OK  D=status"
    assert pico.screen.big_text() == "_"


def test_a_normal_observation_set_is_scored_saved_and_stored_whole(pico, tmp_path):
    pico.press("1001")
    assert pico.screen.big_text() == "1001_"
    pico.press("#")
    entry_screen(pico, "Medarb. 1001", "PIN-kode:", "_")
    pico.press("1234")
    assert pico.screen.big_text() == "****_"  # the PIN is never shown
    pico.press("#")
    assert rows(pico)[0] == HOME_TITLE and rows(pico)[2:4] == NOTHING_DUE
    assert rows(pico)[7] == "#=ny måling *=ud"

    pico.press("#")
    entry_screen(pico, "Ny måling", "Patientnummer:", "_")
    pico.press("12#")
    entry_screen(pico, "Pt 12        1/5", "Puls /min", "_")
    pico.press("72")
    assert pico.screen.big_text() == "72_"
    pico.press("#")
    entry_screen(pico, "Pt 12        2/5", "Respiration /min", "_")
    pico.press("16")  # two digits fill the respiration: it moves on by itself
    entry_screen(pico, "Pt 12        3/5", "Temp. rektal", "_")
    assert rows(pico)[4] == "A=skift målested" and rows(pico)[7] == "#=OK *=ret C=afb"
    pico.press("37")
    assert pico.screen.big_text() == "3,7_"  # typed in tenths, shown with the Danish decimal comma
    pico.press("5")
    entry_screen(pico, "Pt 12        4/5", "Systolisk BT", "_")
    pico.press("#")  # a # right after a field moved on by itself is its OK, not a value for the next one
    entry_screen(pico, "Pt 12        4/5", "Systolisk BT", "_")
    pico.press("120")
    lines = rows(pico)
    assert lines[0] == "Bevidsthed   5/5"
    assert lines[1:6] == ["1 Habituel", "2 Urolig/konfus", "3 Kun på tiltale", "4 Kun på smerte", "5 Ingen reaktion"]
    assert lines[7] == "1-5=vælg *=tilb"
    pico.press("1")  # one key

    # Review: the total in double size at the top right and the site's guidance; the values one key away.
    lines = rows(pico)
    assert lines[0].startswith("Pt 12") and lines[1].startswith("TOBS i alt") and pico.screen.big_text() == "0"
    assert lines[2:7] == ["Ingen handling.", "Mål igen efter", "skøn.", "", ""]
    assert lines[7] == "#=gem  8=værdier"
    pico.press("8")
    lines = rows(pico)
    assert lines[0] == "Pt 12     TOBS 0" and lines[7] == "#=gem 2=op 8=ned"
    assert lines[1:7] == ["Puls      72  0", "Resp.     16  0", "Temp.   37,5  0", "Syst. BT 120  0", "Bevidsth.     0",
                          " Habituel"]
    pico.press("8")  # already at the end
    assert rows(pico)[1] == "Puls      72  0"
    pico.press("2")
    assert rows(pico)[2] == "Ingen handling." and pico.screen.big_text() == "0"

    pico.press("#")
    lines = rows(pico)
    assert lines[0] == "Evt. handling:"  # total 0: recording an action is optional
    assert lines[1:6] == ["1 Kont. sygepl.", "2 Kont. læge", "3 Kont. 1813", "4 Kont. 112", "5 Observeres"]
    assert lines[7] == "1-5 el. #=ingen"
    pico.press("#")
    lines = rows(pico)
    assert lines[0] == "Gemt" and lines[1] == "Pt 12" and lines[2] == "TOBS 0"
    assert lines[4] == "Ingen påmindelse" and lines[7] == "#=næste *=hjem"
    assert any(line.startswith("saved record 1 for patient 12, total 0") for line in pico.logs)
    pico.press("*")
    assert rows(pico)[0] == HOME_TITLE and rows(pico)[2:4] == NOTHING_DUE

    flash = records_on_flash(pico, tmp_path)
    assert flash["count"] == flash["pending"] == 1 and flash["problems"] == [] and flash["corrupt"] == 0
    (record,) = flash["records"]
    measured_at = record.pop("measured_at")
    assert BARE_PICO_EPOCH <= measured_at < BARE_PICO_EPOCH + 600
    assert record.pop("ms_since_boot") >= 0
    assert record == {
        "seq": 1, "clock_valid": False, "boot_count": 1, "device_id": pico.uid, "staff": 1001, "patient": 12,
        "pulse": 72, "resp": 16, "temp_raw": 375, "temp_site": "rectal", "sys_bp": 120, "awareness": "habitual",
        "points": ZERO_POINTS, "total": 0, "core_id": tobs_core.CORE_ID, "config_id": CONFIG_ID,
        "action": 0, "reason": 0, "action_missing": False, "tag": "00" * 16,
    }


def test_raised_scores_need_an_action_and_an_escalation_reason_and_are_stored_with_them(pico, tmp_path):
    login(pico)
    # Total 3 (pulse 95 = 1, rectal 38,5 = 1, agitated = 1): guidance "contact the nurse", action required.
    pico.press(observation_keys(21, 95, 16, 385, 120, 2))
    lines = rows(pico)
    assert pico.screen.big_text() == "3"
    assert lines[2:6] == ["Kontakt", "sygeplejerske.", "sygeplejerske", "Tlf. 5555"]
    assert pico.screen.inverted_rows() == [2, 3, 4, 5]  # escalating guidance is shown inverse
    pico.press("8")
    assert rows(pico)[1:7] == ["Puls      95  1", "Resp.     16  0", "Temp.   38,5  1", "Syst. BT 120  0",
                               "Bevidsth.     1", " Urolig/konfus"]
    pico.press("8")
    assert shows(pico, "Mål igen om 2 t.")
    pico.press("#")
    assert rows(pico)[0] == "Handling udført:" and rows(pico)[7] == "1-5=vælg *=tilb"
    pico.press("#")
    assert rows(pico)[0] == "Vælg handling"  # nothing chosen: the site wants the action documented
    pico.press("1")
    lines = rows(pico)
    assert lines[0:4] == ["Gemt", "Pt 21", "TOBS 3", "Kont. sygepl."] and lines[4] == "Mål igen om 2 t."

    # Total 10: pulse 135 and "no response" score 3 and must be confirmed; oral 38,0 is scored as 38,5.
    pico.press("#21#")
    pico.press("135")
    assert rows(pico)[4:6] == ["Bekræft: 3 point", "Er det rigtigt?"] and 4 in pico.screen.inverted_rows()
    assert pico.screen.big_text() == "135"
    pico.press("#")  # the OK of the full field: the question stays until it is answered by a # of its own
    assert rows(pico)[4] == "Bekræft: 3 point"
    pico.press("#22A380" "85#5")
    assert rows(pico)[2] == "Ingen reaktion" and rows(pico)[4] == "Bekræft: 3 point"
    pico.press("#")
    assert rows(pico)[2] == "Ingen reaktion"  # the # right after the menu key does not answer it either
    pico.press("#")
    lines = rows(pico)
    assert pico.screen.big_text() == "10"
    assert lines[2:7] == ["Kontakt læge nu.", "Ved livsfare:", "112.", "Kontakt læge", "Tlf. 1813"]
    pico.press("8")
    assert rows(pico)[1:7] == ["Puls     135  3!", "Resp.     22  2", "Temp.   38,0  1", " oral = 38,5",
                               "Syst. BT  85  1", "Bevidsth.     3!"]
    pico.press("8")
    assert shows(pico, " Ingen reaktion", "Mål igen om 1 t.")
    pico.press("#5")
    assert rows(pico)[0] == "Begrundelse:"
    assert rows(pico)[1:5] == ["1 Kendt tilstand", "2 Aftalt m. læge", "3 Palliativ", "4 Borger afviser"]
    pico.press("#")
    assert rows(pico)[0] == "Vælg begrundelse"
    pico.press("*")
    assert rows(pico)[0] == "Handling udført:"  # back to the action menu
    pico.press("52")
    assert rows(pico)[0:4] == ["Gemt", "Pt 21", "TOBS 10", "Observeres"] and rows(pico)[4] == "Mål igen om 1 t."

    flash = records_on_flash(pico, tmp_path)
    first, second = flash["records"]
    assert (first["seq"], first["total"], first["action"], first["reason"]) == (1, 3, 1, 0)
    assert first["points"] == {"pulse": 1, "resp": 0, "temp": 1, "sys_bp": 0, "awareness": 1}
    assert (first["awareness"], first["temp_raw"], first["temp_site"]) == ("agitated", 385, "rectal")
    assert (second["seq"], second["total"], second["action"], second["reason"]) == (2, 10, 5, 2)
    assert second["points"] == {"pulse": 3, "resp": 2, "temp": 1, "sys_bp": 1, "awareness": 3}
    assert (second["pulse"], second["resp"], second["temp_raw"], second["temp_site"]) == (135, 22, 380, "oral")
    assert (second["sys_bp"], second["awareness"], second["patient"]) == (85, "unresponsive", 21)
    assert first["core_id"] == second["core_id"] == tobs_core.CORE_ID
    assert first["config_id"] == second["config_id"] == CONFIG_ID


# ---- errors ---------------------------------------------------------------------------------------------------------
# (field, keys that reach it after the patient number, its step header, too low, too high, the sentence)
FIELD_LIMITS = [
    ("pulse", "", "1/5", "19", "251", "Puls skal være mellem 20 og 250."),
    ("resp", "72#", "2/5", "2", "71", "Respiration skal være mellem 3 og 70."),  # 71 fills the field
    ("temp", "72#16#", "3/5", "249", "451", "Temperatur skal være mellem 25,0 og 45,0."),
    ("sys_bp", "72#16#375#", "4/5", "39", "301", "Systolisk BT skal være mellem 40 og 300."),
]


@pytest.mark.parametrize("field, before, step, low, high, sentence", FIELD_LIMITS, ids=[f[0] for f in FIELD_LIMITS])
def test_an_implausible_value_is_named_in_danish_and_stays_for_correction(
    pico, tmp_path, field, before, step, low, high, sentence
):
    login(pico)
    pico.press("#5#" + before)
    header = "Pt 5         " + step
    for bad in (low, high):
        pico.press(bad + "#")
        assert rows(pico)[0] == header, rows(pico)  # still the same field
        assert said(pico, 4, 6) == sentence
        shown = pico.screen.big_text(inverse=True)
        assert shown.replace(",", "") == bad, shown  # the typed value stays, selected: the next digit replaces it
        pico.press("*")  # * clears it; the sentence stays until the next value is confirmed
        assert pico.screen.big_text() == "_" and said(pico, 4, 6) == sentence
    assert pico.screen.big_text() == "_"
    pico.press({"pulse": "72", "resp": "16", "temp": "375", "sys_bp": "120"}[field] + "#")
    assert rows(pico)[0] != header  # a plausible value moves on
    pico.press("C#")  # cancel the measurement: nothing of it may be saved
    assert rows(pico)[0] == HOME_TITLE
    assert unsynced(pico) == 0
    assert records_on_flash(pico, tmp_path)["count"] == 0


def test_login_errors_unknown_staff_wrong_pin_and_empty_entries(pico):
    pico.press("#")
    assert reads(pico, 1, 3) == "Skrivditmedarbejdernummer."
    assert rows(pico)[4] == STAFF_PROMPT
    pico.press("9999#")
    assert reads(pico, 1, 3) == "Ukendtmedarbejdernummer."
    assert pico.screen.big_text(inverse=True) == "9999"  # the unknown number is selected for typing over
    pico.press("**")  # * clears it; * again on the first screen does nothing
    assert rows(pico)[0] == START_TITLE and pico.screen.big_text() == "_"
    pico.press("1001#")
    pico.press("#")
    assert said(pico, 4, 6) == "Skriv din PIN-kode."
    pico.press("1111#")
    assert said(pico, 4, 6) == "Forkert PIN. Prøv igen." and pico.screen.big_text() == "_"
    assert "wrong PIN for staff 1001" in pico.logs
    pico.press("5678#")  # staff 1002's PIN is not staff 1001's
    assert said(pico, 4, 6) == "Forkert PIN. Prøv igen."
    pico.press("*")  # * on an empty PIN: back to the staff number
    assert rows(pico)[0] == START_TITLE
    login(pico, OTHER_STAFF, "5678")
    assert rows(pico)[0] == "Medarb. 1002"


def test_empty_and_missing_entries_are_asked_for(pico):
    login(pico)
    pico.press("##")
    assert said(pico, 4, 6) == "Skriv patientens nummer."
    pico.press("0#")
    assert said(pico, 4, 6) == "Patientnummer kan ikke være 0."
    pico.press("*3#")
    for before in ("", "72#", "16#", "375#"):  # (16 and 375 fill their fields: their # is only their OK)
        pico.press(before + "#")
        assert said(pico, 4, 6) == "Skriv en værdi.", rows(pico)
    pico.press("120" "#")
    assert rows(pico)[0] == "Bevidsthed   5/5"  # the # after the full blood pressure is its OK
    pico.press("#")
    assert rows(pico)[0] == "Vælg 1-5."  # the awareness menu's title row asks for a choice
    assert rows(pico)[1] == "1 Habituel"
    pico.press("9")  # no such choice
    assert pico.screen.inverted_rows() == [0]
    pico.press("1")
    assert rows(pico)[1].startswith("TOBS i alt")


# ---- back, delete, cancel -------------------------------------------------------------------------------------------
def test_star_deletes_digits_and_on_an_empty_field_steps_back_with_the_value_kept(pico, tmp_path):
    login(pico)
    pico.press("#12#72#16#")
    pico.press("3")
    assert pico.screen.big_text() == "0,3_"  # tenths: 3 7 5 will be 37,5
    pico.press("*")
    assert pico.screen.big_text() == "_"
    pico.press("*")  # empty temperature: back to respiration, 16 ready for editing (full: no cursor)
    entry_screen(pico, "Pt 12        2/5", "Respiration /min", "16")
    pico.press("*")
    assert pico.screen.big_text() == "1_"
    pico.press("**")
    entry_screen(pico, "Pt 12        1/5", "Puls /min", "72_")
    pico.press("**")
    assert pico.screen.big_text() == "_"
    pico.press("*")
    entry_screen(pico, "Ny måling", "Patientnummer:", "12_")
    pico.press("*9#")  # patient 12 becomes patient 19
    entry_screen(pico, "Pt 19        1/5", "Puls /min", "72_")  # going forward shows what was entered
    pico.press("#")
    entry_screen(pico, "Pt 19        2/5", "Respiration /min", "16")
    pico.press("**22")
    entry_screen(pico, "Pt 19        3/5", "Temp. rektal", "_")
    pico.press("375120")
    pico.press("1")
    pico.press("8")
    assert rows(pico)[2] == "Resp.     22  2"
    pico.press("*")  # from the review back to the awareness menu, the choice still marked
    assert rows(pico)[0] == "Bevidsthed   5/5" and pico.screen.inverted_rows() == [0, 1]
    pico.press("*")  # back from the awareness menu to the blood pressure
    entry_screen(pico, "Pt 19        4/5", "Systolisk BT", "120")  # three digits: no cursor
    pico.press("#")
    assert pico.screen.inverted_rows() == [0, 1]
    pico.press("#")  # the marked choice, confirmed
    pico.press("#")  # to the action menu
    pico.press("*")  # and back to the review
    assert rows(pico)[1].startswith("TOBS i alt")
    pico.press("#1")  # total 2: an action is required
    assert rows(pico)[0:3] == ["Gemt", "Pt 19", "TOBS 2"]
    (record,) = records_on_flash(pico, tmp_path)["records"]
    assert (record["patient"], record["pulse"], record["resp"], record["total"]) == (19, 72, 22, 2)


def test_star_on_the_home_screen_asks_before_logging_out_and_on_an_empty_patient_goes_home(pico):
    login(pico)
    pico.press("#")
    pico.press("*")
    assert rows(pico)[0] == HOME_TITLE
    pico.press("*")
    assert rows(pico)[2] == "Log ud?" and rows(pico)[7] == "#=ja  *=nej" and rows(pico)[0] == ""
    pico.press("*")  # no
    assert rows(pico)[0] == HOME_TITLE
    pico.press("*#")
    assert rows(pico)[0] == START_TITLE and pico.screen.big_text() == "_"


@pytest.mark.parametrize("where", ["field", "awareness", "review", "action"])
def test_cancel_asks_first_then_no_keeps_the_entry_and_yes_discards_it(pico, tmp_path, where):
    login(pico)
    keys = {"field": "#4#72#16#38", "awareness": "#4#72#16#380#120#", "review": "#4#72#16#380#120#2",
            "action": "#4#72#16#380#120#2#"}[where]
    pico.press(keys)
    before = rows(pico)
    pico.press("C")
    lines = rows(pico)
    assert lines[2] == "Afbryd måling?" and lines[3] == "Intet gemmes." and lines[7] == "#=ja  *=nej"
    # The question is an inverse bar (read cell by cell: inverted_rows() does not count a "?" glyph).
    assert all(inverse for _, inverse in pico.screen.cells()[2])
    assert pico.screen.inverted_rows() == []
    pico.press("*")  # no: back where we were, nothing lost
    assert rows(pico) == before
    pico.press("C#")  # yes
    assert rows(pico)[0] == HOME_TITLE and rows(pico)[2:4] == NOTHING_DUE
    assert "measurement cancelled" in pico.logs
    pico.press("#")
    assert pico.screen.big_text() == "_"  # a new measurement starts empty
    assert unsynced(pico) == 0
    assert records_on_flash(pico, tmp_path)["count"] == 0


# ---- confirm-3 and the rectal rule ---------------------------------------------------------------------------------
def test_a_three_point_value_must_be_confirmed_and_can_be_typed_again(pico):
    login(pico)
    pico.press("#8#")
    pico.press("250#")  # the highest plausible pulse scores 3
    assert rows(pico)[4:8] == ["Bekræft: 3 point", "Er det rigtigt?", "", "#=ja  *=ret"]
    pico.press("*")  # a typo: typed again
    entry_screen(pico, "Pt 8         1/5", "Puls /min", "_")
    pico.press("15#")
    assert said(pico, 4, 6) == "Puls skal være mellem 20 og 250."
    pico.press("72#")  # the refused 15 is replaced
    pico.press("8#")  # respiration 8 scores 3
    assert rows(pico)[4] == "Bekræft: 3 point" and pico.screen.big_text() == "8"
    pico.press("#")
    entry_screen(pico, "Pt 8         3/5", "Temp. rektal", "_")
    pico.press("339#")  # 33,9 rectal scores 3
    assert rows(pico)[4] == "Bekræft: 3 point" and pico.screen.big_text() == "33,9"
    pico.press("#")
    pico.press("69#")  # systolic 69 scores 3
    assert rows(pico)[4] == "Bekræft: 3 point"
    pico.press("#5")
    assert rows(pico)[2] == "Ingen reaktion" and rows(pico)[4] == "Bekræft: 3 point"
    pico.press("*")  # not confirmed: the menu again, nothing chosen
    assert rows(pico)[0] == "Bevidsthed   5/5" and pico.screen.inverted_rows() == [0]
    pico.press("4")  # "only to pain" scores 2: no question
    assert pico.screen.big_text() == "11"
    pico.press("8")
    assert rows(pico)[1:5] == ["Puls      72  0", "Resp.      8  3!", "Temp.   33,9  3!", "Syst. BT  69  3!"]


def test_oral_and_axillary_readings_outside_36_to_40_after_correction_must_be_measured_rectally(pico, tmp_path):
    login(pico)
    pico.press("#30#72#16#")
    entry_screen(pico, "Pt 30        3/5", "Temp. rektal", "_")
    pico.press("A")
    assert rows(pico)[1] == "Temp. oral"
    pico.press("A")
    assert rows(pico)[1] == "Temp. aksillær"
    pico.press("A")
    assert rows(pico)[1] == "Temp. rektal"  # the site cycles round
    pico.press("A354#")  # oral 35,4 is 35,9 rectal: below 36,0
    assert rows(pico)[1] == "Temp. rektal"  # the site is set back to rectal
    assert said(pico, 4, 6) == "Mål rektalt (kor. 35,9)."
    assert pico.screen.big_text() == "_"  # the oral reading is not kept
    pico.press("A396#")  # oral 39,6 is 40,1 rectal: above 40,0
    assert said(pico, 4, 6) == "Mål rektalt (kor. 40,1)." and rows(pico)[1] == "Temp. rektal"
    pico.press("AA391#")  # axillary 39,1 is 40,1
    assert said(pico, 4, 6) == "Mål rektalt (kor. 40,1)." and rows(pico)[1] == "Temp. rektal"
    pico.press("AA390#")  # axillary 39,0 is 40,0: the edge is still scored (3 points, confirmed)
    assert rows(pico)[4] == "Bekræft: 3 point"
    pico.press("*")
    assert rows(pico)[1] == "Temp. aksillær"
    pico.press("AA355#")  # oral 35,5 is 36,0: scored, 0 points
    entry_screen(pico, "Pt 30        4/5", "Systolisk BT", "_")
    pico.press("120#1")
    assert pico.screen.big_text() == "0"
    pico.press("8")
    assert rows(pico)[3:5] == ["Temp.   35,5  0", " oral = 36,0"]
    pico.press("##")
    (record,) = records_on_flash(pico, tmp_path)["records"]
    assert (record["temp_raw"], record["temp_site"], record["points"]["temp"]) == (355, "oral", 0)


def test_a_rectal_reading_outside_36_to_40_is_scored_without_objection(pico):
    login(pico)
    pico.press("#31#72#16#355#")
    entry_screen(pico, "Pt 31        4/5", "Systolisk BT", "_")
    pico.press("*")
    pico.press("***401#")
    assert rows(pico)[4] == "Bekræft: 3 point"


# ---- status, idle logout, reminders ---------------------------------------------------------------------------------
def test_status_screen_from_anywhere_returns_to_the_same_place(pico):
    pico.press("10")
    pico.press("D")
    lines = rows(pico)
    assert lines[0] == "Status" and lines[1] == "EKSEMPEL-OPSÆTN." and lines[2] == "Usynk.: 0"
    assert re.fullmatch(r"Fri: \d+ kB", lines[3]) and int(lines[3].split()[1]) > 1300
    assert lines[4].startswith("2021-01-01 01:0") and lines[5] == "Ur ikke stillet!"  # Danish time: UTC+1
    assert pico.screen.inverted_rows() == [0, 1, 5]  # example configuration and unset clock stand out
    assert lines[7] == "2/8 rul  #=ud"
    pico.press("8")
    lines = rows(pico)
    assert lines[1] == "Enheds-id:" and lines[2] == pico.uid
    assert lines[3] == "Kerne %s" % tobs_core.CORE_ID and lines[4] == "Opsæt. %s" % CONFIG_ID
    assert lines[5:7] == ["EKSEMPEL", "Plejecenter"]  # the site's whole name
    pico.press("2")
    assert rows(pico)[1] == "EKSEMPEL-OPSÆTN."
    pico.press("#")
    assert rows(pico)[0] == START_TITLE and pico.screen.big_text() == "10_"  # the typed digits are still there
    pico.press("01#1234#")
    pico.press("#6#72#3")
    pico.press("D")
    assert rows(pico)[0] == "Status"
    pico.press("*")
    entry_screen(pico, "Pt 6         2/5", "Respiration /min", "3_")


def test_idle_logout_after_ten_minutes_keeps_an_unsaved_entry_until_its_nurse_discards_it(pico, tmp_path):
    login(pico)
    pico.press("#40#72#")
    pico.advance(IDLE_LOGOUT_MS - 60_000)
    entry_screen(pico, "Pt 40        2/5", "Respiration /min", "_")  # nine minutes: still there
    pico.press("1")
    pico.advance(IDLE_LOGOUT_MS - 60_000)  # a key restarts the ten minutes
    assert rows(pico)[0] == "Pt 40        2/5"
    pico.advance(60_000 + 1_000)
    assert rows(pico)[0] == START_TITLE and pico.screen.big_text() == "_"
    assert "idle logout: patient 40 kept as a draft" in pico.logs
    pico.press("1001#1234#")
    assert rows(pico)[0] == "Ufærdig måling"
    pico.press("#")
    entry_screen(pico, "Pt 40        2/5", "Respiration /min", "1_")  # even the half-typed respiration
    pico.press("C#")  # discarded on purpose
    assert rows(pico)[0] == HOME_TITLE
    pico.press("#")
    assert pico.screen.big_text() == "_"  # nothing of patient 40 is left
    pico.advance(IDLE_LOGOUT_MS)  # the home screen logs out too
    assert rows(pico)[0] == START_TITLE
    pico.press("100")
    pico.advance(IDLE_LOGOUT_MS)  # and a half-typed staff number is cleared
    assert pico.screen.big_text() == "_"
    assert records_on_flash(pico, tmp_path)["count"] == 0


def test_idle_logout_on_the_action_menu_keeps_the_scored_measurement_without_an_action(pico, tmp_path):
    login(pico)
    pico.press(observation_keys(41, 95, 16, 385, 120, 2) + "#")
    assert rows(pico)[0] == "Handling udført:"
    pico.advance(IDLE_LOGOUT_MS + 1_000)
    assert rows(pico)[0] == START_TITLE
    assert "idle logout: patient 41 saved without an action" in pico.logs
    (record,) = records_on_flash(pico, tmp_path)["records"]
    assert (record["patient"], record["total"], record["action"], record["reason"]) == (41, 3, 0, 0)
    assert record["action_missing"]  # its level wants the action documented: the home screen asks for it


def home_reminders(pico) -> list[tuple[str, str, bool]]:
    """(patient, how it stands, inverse) of the home screen's reminder rows ("1 51      om 59m")."""
    inverse = set(pico.screen.inverted_rows())
    found = []
    for i, line in enumerate(rows(pico)[1:7], start=1):
        m = re.fullmatch(r"\d (\d+) +(om \d+[mtd]|\d+[mtd] over|nu)", line)
        if m:
            found.append(("Pt " + m.group(1), m.group(2), i in inverse))
    return found


def test_reminders_become_due_then_overdue_and_overdue_is_shown_inverse(pico):
    login(pico)
    # Pt 50: total 3, re-measure in 2 hours. Pt 51: total 10, re-measure in 1 hour.
    pico.press(observation_keys(50, 95, 16, 385, 120, 2) + "#1")
    assert rows(pico)[4] == "Mål igen om 2 t."
    pico.press("#51#135##22#A380#85#5##")  # pulse 135 and "no response" are confirmed
    assert rows(pico)[1].startswith("TOBS i alt") and pico.screen.big_text() == "10"
    pico.press("#2")
    assert rows(pico)[0:3] == ["Gemt", "Pt 51", "TOBS 10"] and rows(pico)[4] == "Mål igen om 1 t."
    pico.press("*")
    # Within the hour only Pt 51 is due; Pt 50 is two hours away.
    assert home_reminders(pico) in ([("Pt 51", "om 59m", False)], [("Pt 51", "om 60m", False)])
    pico.advance(5 * 60_000)
    assert [(p, inv) for p, _, inv in home_reminders(pico)] == [("Pt 51", False)]
    minutes = int(home_reminders(pico)[0][1][3:-1])
    assert 54 <= minutes <= 55  # the home screen follows the clock
    pico.advance(56 * 60_000 + 30_000)
    login(pico)  # the ten idle minutes logged the nurse out
    reminders = home_reminders(pico)
    assert [(p, inv) for p, _, inv in reminders] == [("Pt 51", True), ("Pt 50", False)]
    assert re.fullmatch(r"[12]m over", reminders[0][1]) and reminders[1][1] in ("om 58m", "om 59m")
    pico.advance(60 * 60_000)
    login(pico)
    reminders = home_reminders(pico)
    assert [(p, inv) for p, _, inv in reminders] == [("Pt 51", True), ("Pt 50", True)]  # longest overdue first
    assert reminders[0][1] in ("61m over", "62m over") and reminders[1][1] in ("1m over", "2m over")
    # A new measurement of Pt 51 scoring 0 clears its reminder.
    pico.press(observation_keys(51, 72, 16, 375, 120, 1) + "##")
    assert rows(pico)[4] == "Ingen påmindelse"
    pico.press("*")
    assert [(p, inv) for p, _, inv in home_reminders(pico)] == [("Pt 50", True)]
