# The sync link's framing and authentication, the same on the handheld and the PC.
import tobs_protocol as link
import tobs_record
from handheld.commands import RECORDS_PER_FRAME, write_records


def test_hmac_matches_the_rfc_4231_test_vectors():
    cases = [
        (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (b"Jefe", b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ]
    for key, message, expected in cases:
        assert link.to_hex(link.hmac_sha256(key, message)) == expected


def test_frames_round_trip_through_the_reader_fed_byte_by_byte():
    stream = b"junk before" + link.frame("H", b'{"proto": 1}') + link.frame("R", bytes(range(256)) * 4)
    reader = link.FrameReader()
    frames = []
    for i in range(len(stream)):
        reader.feed(stream[i : i + 1])
        got = reader.next_frame()
        if got:
            frames.append(got)
    assert frames == [("H", b'{"proto": 1}'), ("R", bytes(range(256)) * 4)]
    assert reader.skipped == len(b"junk before")


def test_every_single_bit_flip_in_a_frame_is_caught_or_misses_no_data():
    good = link.frame("E", b'{"count": 3, "last_seq": 7}')
    for i in range(2, len(good)):
        for bit in range(8):
            damaged = bytearray(good)
            damaged[i] ^= 1 << bit
            reader = link.FrameReader()
            reader.feed(bytes(damaged))
            try:
                got = reader.next_frame()
            except ValueError:
                continue  # caught: the sync aborts and nothing is acknowledged
            # Not caught only when the flip made the length longer: the reader then waits for more bytes.
            assert got is None, (i, bit)


def test_commands_are_printable_ascii_with_a_crc_and_never_contain_ctrl_c():
    line = link.command("ACK", 41, "00ff" * 8)
    assert b"\x03" not in line and line.endswith(b"\n")
    assert link.parse_command(line) == ("ACK", ["41", "00ff" * 8])
    damaged = line.replace(b"41", b"42")
    try:
        link.parse_command(damaged)
        raise AssertionError("a damaged command was accepted")
    except ValueError:
        pass
    try:
        link.command("PUT", "a\x03b")
        raise AssertionError("a control character was put into a command")
    except ValueError:
        pass


def test_ack_tag_depends_on_key_device_and_sequence():
    key = b"k" * 32
    device = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    tag = link.ack_tag(key, device, 10)
    assert len(tag) == link.TAG_SIZE
    assert tag != link.ack_tag(key, device, 11)
    assert tag != link.ack_tag(b"K" * 32, device, 10)
    assert tag != link.ack_tag(key, b"\x00" * 8, 10)


class Collected:
    """A writer that keeps what is written, as the handheld's USB serial stream would send it."""

    def __init__(self):
        self.data = bytearray()

    def write(self, data):
        self.data.extend(data)
        return len(data)


def counted(items, pulled):
    """items one by one, each also appended to pulled when it is taken."""
    for item in items:
        pulled.append(item)
        yield item


def test_the_handheld_streams_records_frames_that_are_the_shared_frames_byte_for_byte():
    size = tobs_record.RECORD_SIZE
    assert RECORDS_PER_FRAME * size <= link.MAX_PAYLOAD < (RECORDS_PER_FRAME + 1) * size
    records = [bytes([i % 256]) * size for i in range(2 * RECORDS_PER_FRAME + 3)]
    for count in (0, 1, RECORDS_PER_FRAME, RECORDS_PER_FRAME + 1, 2 * RECORDS_PER_FRAME + 2):
        out = Collected()
        frames = []
        pulled = []
        assert write_records(out, counted(records, pulled), count, frames.append) == count
        expected = b""
        for start in range(0, count, RECORDS_PER_FRAME):
            expected += link.frame("R", b"".join(records[start : min(count, start + RECORDS_PER_FRAME)]))
        assert bytes(out.data) == expected, count
        assert frames == [min(count, n) for n in range(RECORDS_PER_FRAME, count + RECORDS_PER_FRAME, RECORDS_PER_FRAME)]
        # Not one record more is read than is sent: the caller's last-seq bookkeeping relies on it.
        assert len(pulled) == count, (count, len(pulled))


def test_tags_are_bound_to_the_store_epoch_and_epoch_0_is_the_tag_of_before():
    key = b"k" * 32
    device = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    signed = b"R" * 55
    # Epoch 0 is exactly the tag every earlier firmware gave: HMAC over the old message alone.
    assert link.ack_tag(key, device, 10, 0) == link.hmac_sha256(key, b"ACK" + device + (10).to_bytes(4, "big"))[:16]
    assert link.record_tag(key, signed, 0) == link.hmac_sha256(key, signed)[:16]
    assert link.ack_tag(key, device, 10, 7) not in (link.ack_tag(key, device, 10), link.ack_tag(key, device, 10, 8))
    assert link.record_tag(key, signed, 7) not in (link.record_tag(key, signed), link.record_tag(key, signed, 8))
    for wrong in (-1, 1 << 32):
        try:
            link.ack_tag(key, device, 10, wrong)
        except ValueError:
            continue
        raise AssertionError("epoch %d was accepted" % wrong)
