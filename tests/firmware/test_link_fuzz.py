# The link's both ends under generated and mutated input, on CPython and MicroPython (bench/link_fuzz.py runs the
# same fuzzer with ten times as many). Figures: run `python -m pytest tests/firmware/test_link_fuzz.py -s`.
from link_fuzz import fuzz_device, fuzz_frames
from scratch_support import remove_tree, scratch

DEVICE_INPUTS = 10000
FRAME_STREAMS = 10000


def test_no_command_line_crashes_the_handheld_or_changes_its_store_unasked():
    root = scratch("fuzz-device", in_memory=True)
    try:
        figures = fuzz_device(root, DEVICE_INPUTS, seed=7)
        print("link fuzz, device:", figures)
        assert figures["inputs"] == DEVICE_INPUTS and figures["refused"] > DEVICE_INPUTS // 2
    finally:
        remove_tree(root)


def test_no_byte_stream_makes_the_pcs_frame_reader_fail_other_than_by_saying_so():
    figures = fuzz_frames(FRAME_STREAMS, seed=7)
    print("link fuzz, frames:", figures)
    assert figures["frames"] > FRAME_STREAMS and figures["damaged"] > FRAME_STREAMS // 10
