# The handheld's end of the link refuses every malformed command with exactly one X frame and goes on working:
# what someone holding only the USB cable found, each as a test. Runs on CPython and MicroPython.
import json
import os

from link_support import DEVICE_ID, KEY, frames, handheld, line, talk
from scratch_support import exists, remove_tree
from scratch_support import scratch as scratch_folder

import tobs_protocol
from handheld.commands import CLOCK_EARLIEST, CLOCK_LATEST


def scratch(name):
    return scratch_folder("link-" + name)


def files(root):
    """Every file in the handheld's storage and its bytes: what a refused command must leave as it was."""
    out = {}
    for name in os.listdir(root):
        with open(root + "/" + name, "rb") as f:
            out[name] = f.read()
    return out


def refused(link, board, data):
    """The one X frame `data` was answered with, as its error text; anything else fails the test."""
    answers = talk(link, board, data)
    assert [kind for kind, _ in answers] == ["X"], (data[:60], answers)
    return json.loads(answers[0][1])["error"]


def still_answers(link, board):
    answers = talk(link, board, tobs_protocol.command("HELLO"))
    assert [kind for kind, _ in answers] == ["H"], answers
    return json.loads(answers[0][1])


def ack_tag(seq, epoch):
    return tobs_protocol.to_hex(tobs_protocol.ack_tag(KEY, DEVICE_ID, seq, epoch))


def test_an_ack_with_a_sequence_number_out_of_range_is_refused_and_the_app_goes_on():
    root = scratch("ack")
    try:
        link, board, store = handheld(root)
        before = files(root)
        good = ack_tag(3, store.epoch)
        # -1 once raised OverflowError out of poll(): the app's loop ended and the REPL took the port.
        for seq in ("-1", "4294967296", "99999999999999999999999", "+3", "3.0", "0x3", "", "3 "):
            error = refused(link, board, line("ACK %s %s" % (seq, "00")))
            assert error.startswith("ACK: "), error
        for tag in ("00", good[:-2], good + "00", good.upper(), "zz" * 16, good[:31] + " " + good[31:]):
            refused(link, board, line("ACK 3 " + tag))
        assert files(root) == before and still_answers(link, board)["pending"] == 3
        # The same acknowledgement, well formed, is taken: the checks refuse only what is malformed.
        answers = talk(link, board, tobs_protocol.command("ACK", 3, good))
        assert [kind for kind, _ in answers] == ["A"] and store.pending_count() == 0
    finally:
        remove_tree(root)


def test_the_clock_is_set_only_between_2020_and_2100_and_a_refused_time_leaves_it_as_it_was():
    root = scratch("time")
    try:
        link, board, _ = handheld(root)
        # 10^12 was once taken, and every save after it failed: a record keeps its time in 4 bytes.
        for value in ("1000000000000", "-5", str(CLOCK_EARLIEST - 1), str(CLOCK_LATEST + 1), "4294967296", "",
                      "1_700_000_000", "+1700000000", "1700000000.5"):
            error = refused(link, board, line("TIME " + value))
            assert error.startswith("TIME: "), error
            assert (board.now(), board.clock_valid()) == (1609459200, False), value
        for value in (CLOCK_EARLIEST, CLOCK_LATEST):
            answers = talk(link, board, tobs_protocol.command("TIME", value))
            assert [kind for kind, _ in answers] == ["T"] and board.now() == value
        assert CLOCK_LATEST <= 0xFFFFFFFF  # every clock the link can set still fits a record's time field
    finally:
        remove_tree(root)


def test_a_line_longer_than_1024_bytes_is_answered_once_and_no_part_of_it_runs():
    root = scratch("long")
    try:
        link, board, _ = handheld(root)
        hello = tobs_protocol.command("HELLO")
        # Its tail once ran as a command of its own: 1,024 bytes were kept, the 1,025th answered, the rest went on.
        for padding in (1025, 1024 + len(hello), 5000):
            error = refused(link, board, b"x" * padding + b" " + hello)
            assert "longer than 1024" in error, error
            still_answers(link, board)
        # Exactly 1,024 bytes is still a line, answered for what it says.
        body = "HELLO " + "0" * (1024 - len("HELLO  *00000000"))
        assert len(line(body)) == 1025  # with its newline
        assert refused(link, board, line(body)) == "HELLO: takes no arguments"
        # Long lines back to back, each answered once; the half line that follows is kept for its newline.
        assert [k for k, _ in talk(link, board, (b"y" * 2000 + b"\n") * 3 + hello[:3])] == ["X", "X", "X"]
        assert not link.idle()
        assert [k for k, _ in talk(link, board, hello[3:])] == ["H"]
    finally:
        remove_tree(root)


def test_a_line_being_discarded_keeps_the_link_busy_until_its_newline():
    root = scratch("discard")
    try:
        link, board, _ = handheld(root)
        refused(link, board, b"q" * 1500)
        # The app unloads an idle link; a new one would take the rest of this line for a command.
        assert not link.idle()
        assert talk(link, board, b"q" * 10 + b" " + tobs_protocol.command("HELLO")) == []
        assert link.idle()
    finally:
        remove_tree(root)


def test_every_command_takes_exactly_its_arguments():
    root = scratch("args")
    try:
        link, board, _ = handheld(root)
        before = files(root)
        for text in ("HELLO 1", "PULL 0", "PULL 0 10 1", "ACK 3", "ACK 3 %s 1" % "00" * 16, "TIME",
                     "TIME 1700000000 1", "ENROLL test", "ENROLL test %s x" % KEY.hex(), "PUT site.json",
                     "DATA", "COMMIT", "REPL now", "ACK  3 " + "00" * 16, "HELLO "):
            error = refused(link, board, line(text))
            assert error.startswith(text.split(" ")[0] + ": "), (text, error)
        assert files(root) == before and not link.wants_repl
    finally:
        remove_tree(root)


def test_numbers_sizes_and_hex_lengths_are_checked_before_anything_changes():
    root = scratch("ranges")
    try:
        link, board, _ = handheld(root)
        before = files(root)
        for text in ("PULL -1 10", "PULL 0 -1", "PULL 0 4294967296", "PULL x 1",
                     "ENROLL test " + KEY.hex()[:-2], "ENROLL test " + KEY.hex() + "00",
                     "ENROLL test " + KEY.hex().upper(),
                     "ENROLL test " + "g" * 64, "ENROLL " + "s" * 65 + " " + KEY.hex(),
                     "PUT site.json 0", "PUT site.json 16385", "PUT site.json -1", "PUT link.json 10",
                     "PUT ../site.json 10", "PUT site.json 1e3"):
            refused(link, board, line(text))
        assert files(root) == before
        assert json.loads(open(root + "/link.json").read())["key"] == KEY.hex()
        assert talk(link, board, tobs_protocol.command("PUT", "site.json", 4))[0][0] == "A"
        for text in ("DATA AAA", "DATA ****", "DATA AAAA\x01", "DATA A=AA=", "DATA AA=A", "COMMIT 123",
                     "COMMIT " + "G" * 8, "COMMIT 0000000000"):
            refused(link, board, line(text))
        assert not exists(root + "/site.json")
        assert still_answers(link, board)["pending"] == 3
    finally:
        remove_tree(root)


def test_an_unforeseen_error_inside_a_command_is_logged_and_answered_with_one_x():
    root = scratch("catchall")
    try:
        def broken_status():
            return {"site_id": 1 // 0}

        link, board, _ = handheld(root, status=broken_status)
        error = refused(link, board, tobs_protocol.command("HELLO"))
        assert error.startswith("HELLO: "), error
        assert any("ZeroDivisionError" in m for m in board.logged), board.logged
        assert not link.poll()  # still polled, nothing left to answer
        for data in (b"\xff\xfe *00000000\n", line(b"\xff\xfe HELLO"), line(b"\x00"), line(b"HE\x03LLO"),
                     line(b"_cmd_hello"), line(b"hello"), b"HELLO *zz\n", b"*\n"):
            refused(link, board, data)
        assert not link.poll()
    finally:
        remove_tree(root)


def test_blank_lines_are_not_answered_and_a_frame_reader_sees_only_frames():
    root = scratch("blank")
    try:
        link, board, _ = handheld(root)
        assert talk(link, board, b"\n  \n\t\n") == []
        data = tobs_protocol.command("HELLO") + tobs_protocol.command("PULL", 0, 10)
        assert [k for k, _ in talk(link, board, data)] == ["H", "R", "E"]
        assert frames(b"") == []
    finally:
        remove_tree(root)
