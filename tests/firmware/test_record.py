# The binary record codec: every field survives a round trip at its edges, the CRC catches every single-bit
# flip, values that do not fit are refused naming the field; an observation saved without the action its guidance
# wants is flagged, and a follow-up record names the action later. Runs on CPython and MicroPython.
import binascii
import struct

import tobs_core
import tobs_record

RS = tobs_record.RECORD_SIZE


def sample_fields(**changes):
    fields = {
        "measured_at": 1790000000, "clock_valid": True, "boot_count": 3, "ms_since_boot": 123456,
        "device_id": b"\xe6\x61\x41\x04\x03\x2f\x5a\x2b", "staff": 1042, "patient": 770321, "pulse": 92,
        "resp": 22, "temp_raw": 381, "temp_site": "oral", "sys_bp": 128, "awareness": "voice",
        "points": {"pulse": 1, "resp": 2, "temp": 1, "sys_bp": 0, "awareness": 1}, "total": 5,
        "core_id": tobs_core.CORE_ID, "config_id": "0badcafe", "action": 2, "reason": 0, "action_missing": False,
    }
    fields.update(changes)
    return fields


def follow_up_fields(**changes):
    fields = {
        "measured_at": 1790000600, "clock_valid": True, "boot_count": 3, "ms_since_boot": 723456,
        "device_id": b"\xe6\x61\x41\x04\x03\x2f\x5a\x2b", "staff": 1043, "patient": 770321, "follow_up": 41,
        "core_id": tobs_core.CORE_ID, "config_id": "0badcafe", "action": 5, "reason": 2,
    }
    fields.update(changes)
    return fields


def expected(fields, seq, tag=tobs_record.NO_TAG):
    result = dict(fields)
    result["seq"] = seq
    result["tag"] = tag
    return result


def raises_value_error(function, *args):
    try:
        function(*args)
    except ValueError as e:
        return str(e)
    return None


def edge_cases():
    """Field sets at the low and the high edge of every width, and through every table code."""
    low = sample_fields(
        measured_at=0, clock_valid=False, boot_count=0, ms_since_boot=0, device_id=b"\0" * 8, staff=0, patient=0,
        pulse=0, resp=0, temp_raw=0, temp_site="rectal", sys_bp=0, awareness="habitual",
        points={"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}, total=0,
        core_id="00000000", config_id="00000000", action=0, reason=0, action_missing=False,
    )
    high = sample_fields(
        measured_at=0xFFFFFFFF, boot_count=0xFFFF, ms_since_boot=0xFFFFFFFF, device_id=b"\xff" * 8,
        staff=0xFFFFFFFF, patient=0xFFFFFFFF, pulse=255, resp=255, temp_raw=0xFFFF, temp_site="axillary",
        sys_bp=0xFFFF, awareness="unresponsive",
        points={"pulse": 3, "resp": 3, "temp": 3, "sys_bp": 3, "awareness": 3}, total=255,
        core_id="ffffffff", config_id="ffffffff", action=255, reason=255, action_missing=True,
    )
    cases = [(low, 0), (high, 0xFFFFFFFF), (sample_fields(), 1)]
    for site, _ in tobs_core.TEMP_SITES:
        cases.append((sample_fields(temp_site=site), 7))
    for code, _ in tobs_core.AWARENESS:
        cases.append((sample_fields(awareness=code), 8))
    # Each parameter's points on their own, so a packing that mixes up two parameters shows.
    i = 0
    for name in tobs_core.PARAMETERS:
        for value in range(4):
            points = {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}
            points[name] = value
            points[tobs_core.PARAMETERS[(i + 1) % 5]] = 3 - value
            cases.append((sample_fields(points=points), 100 + value))
        i += 1
    return cases


def test_every_field_survives_a_round_trip_at_its_edges():
    tag = bytes(range(16))
    for fields, seq in edge_cases():
        for t in (tobs_record.NO_TAG, tag):
            data = tobs_record.encode(fields, seq, t)
            assert len(data) == RS
            assert tobs_record.decode(data) == expected(fields, seq, t), fields


def test_decode_accepts_bytearray_and_memoryview():
    data = tobs_record.encode(sample_fields(), 42)
    assert tobs_record.decode(bytearray(data)) == expected(sample_fields(), 42)
    assert tobs_record.decode(memoryview(bytearray(data))) == expected(sample_fields(), 42)


def test_the_layout_matches_the_table_in_the_module_comment():
    fields = sample_fields()
    data = tobs_record.encode(fields, 0x01020304, b"T" * 16)
    assert RS == 75
    assert data[0:2] == b"TR" and data[2] == tobs_record.FORMAT_VERSION == 1 and data[3] == 1
    assert tobs_record.encode(sample_fields(action_missing=True, clock_valid=False), 1)[3] == 2
    assert struct.unpack_from("<I", data, 4)[0] == 0x01020304 == tobs_record.seq_of(data)
    assert struct.unpack_from("<I", data, 8)[0] == fields["measured_at"]
    assert struct.unpack_from("<H", data, 12)[0] == fields["boot_count"] == tobs_record.boot_count_of(data)
    assert data[18:26] == fields["device_id"]
    assert data[34] == fields["pulse"] and data[38] == 1 and data[41] == 2  # oral; voice
    assert struct.unpack_from("<H", data, 42)[0] == 1 | 2 << 2 | 1 << 4 | 0 << 6 | 1 << 8
    assert data[45:49] == binascii.unhexlify(tobs_core.CORE_ID)
    assert data[55:71] == b"T" * 16
    assert struct.unpack_from("<I", data, 71)[0] == binascii.crc32(data[:71])


def test_the_crc_catches_every_single_bit_flip():
    data = bytearray(tobs_record.encode(sample_fields(), 7, bytes(range(16))))
    missed = []
    for bit in range(RS * 8):
        data[bit // 8] ^= 1 << (bit % 8)
        if raises_value_error(tobs_record.decode, data) is None or tobs_record.problem(data) is None:
            missed.append(bit)
        data[bit // 8] ^= 1 << (bit % 8)
    assert not missed, missed
    assert tobs_record.problem(data) is None


def test_bad_magic_version_length_and_crc_are_named():
    data = bytearray(tobs_record.encode(sample_fields(), 7))
    assert "magic" in raises_value_error(tobs_record.decode, b"XX" + data[2:])
    assert "version" in raises_value_error(tobs_record.decode, data[:2] + b"\x09" + data[3:])
    assert "bytes" in raises_value_error(tobs_record.decode, data[:-1])
    data[40] ^= 0x10
    assert "CRC" in raises_value_error(tobs_record.decode, data)


def test_values_that_do_not_fit_their_width_are_refused_naming_the_field():
    widths = {
        "measured_at": 0xFFFFFFFF, "boot_count": 0xFFFF, "ms_since_boot": 0xFFFFFFFF, "staff": 0xFFFFFFFF,
        "patient": 0xFFFFFFFF, "pulse": 255, "resp": 255, "temp_raw": 0xFFFF, "sys_bp": 0xFFFF, "total": 255,
        "action": 255, "reason": 255,
    }
    for name in widths:
        for bad in (widths[name] + 1, -1, 60.0, True, None, "60"):
            message = raises_value_error(tobs_record.encode, sample_fields(**{name: bad}), 1)
            assert message is not None and message.startswith(name + ":"), (name, bad, message)
    for name, bad in (
        ("device_id", b"\0" * 7), ("device_id", "abcdefgh"), ("temp_site", "ear"), ("awareness", "sleepy"),
        ("core_id", "1234567"), ("core_id", "1234567g"), ("config_id", 0x12345678), ("clock_valid", 1),
        ("action_missing", 1),
        ("points", {"pulse": 4, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0}),
        ("points", {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0}),
        ("points", {"pulse": 0, "resp": 0, "temp": 0, "sys_bp": 0, "awareness": 0, "extra": 0}),
    ):
        message = raises_value_error(tobs_record.encode, sample_fields(**{name: bad}), 1)
        assert message is not None and message.startswith(name), (name, bad, message)
    fields = sample_fields()
    del fields["staff"]
    assert raises_value_error(tobs_record.encode, fields, 1).startswith("staff")
    assert raises_value_error(tobs_record.encode, sample_fields(), 1 << 32).startswith("seq")
    assert raises_value_error(tobs_record.encode, sample_fields(), -1).startswith("seq")
    assert raises_value_error(tobs_record.encode, sample_fields(), 1, b"\0" * 15).startswith("tag")


def test_the_codec_stores_the_apps_score_as_given_without_rescoring():
    # A total that does not match the vitals is stored as given: scoring belongs to the app and tobs_core.
    fields = sample_fields(pulse=60, total=9)
    assert tobs_record.decode(tobs_record.encode(fields, 1))["total"] == 9


def test_the_signed_part_is_everything_before_the_tag():
    fields = sample_fields()
    plain = tobs_record.encode(fields, 5)
    tagged = tobs_record.encode(fields, 5, b"\xaa" * 16)
    assert len(tobs_record.signed_part(plain)) == RS - 16 - 4 == tobs_record.SIGNED_SIZE
    assert bytes(tobs_record.signed_part(plain)) == bytes(tobs_record.signed_part(tagged)) == plain[:55]
    assert bytes(tobs_record.signed_part(tobs_record.encode(fields, 6))) != bytes(tobs_record.signed_part(plain))
    assert bytes(tobs_record.signed_part(tobs_record.encode(sample_fields(reason=1), 5))) != plain[:55]


def test_a_stored_record_can_be_tagged_later():
    fields = sample_fields()
    tag = bytes(range(100, 116))
    assert tobs_record.with_tag(tobs_record.encode(fields, 9), tag) == tobs_record.encode(fields, 9, tag)
    assert tobs_record.decode(tobs_record.with_tag(tobs_record.encode(fields, 9), tag))["tag"] == tag
    torn = bytearray(tobs_record.encode(fields, 9))
    torn[30] ^= 1
    assert "CRC" in raises_value_error(tobs_record.with_tag, torn, tag)
    assert raises_value_error(tobs_record.with_tag, tobs_record.encode(fields, 9), b"short").startswith("tag")


def test_a_follow_up_record_round_trips_at_its_edges_and_has_no_values():
    for fields, seq in ((follow_up_fields(), 42), (follow_up_fields(follow_up=0, clock_valid=False), 1),
                        (follow_up_fields(follow_up=0xFFFFFFFF, action=255, reason=255), 0xFFFFFFFF)):
        data = tobs_record.encode(fields, seq, bytes(range(16)))
        assert len(data) == RS and tobs_record.is_follow_up(data) and tobs_record.problem(data) is None
        assert tobs_record.decode(data) == expected(fields, seq, bytes(range(16))), fields
    data = tobs_record.encode(follow_up_fields(follow_up=0x0A0B0C0D), 43)
    # The layout of the module comment: the seq followed up where the values would be, then zeros.
    assert data[3] == tobs_record.FLAG_FOLLOW_UP | tobs_record.FLAG_CLOCK_VALID
    assert struct.unpack_from("<I", data, 34)[0] == 0x0A0B0C0D and data[38:45] == bytes(7)
    assert data[26:34] == struct.pack("<II", 1043, 770321) and data[53:55] == bytes((5, 2))
    assert not tobs_record.is_follow_up(tobs_record.encode(sample_fields(), 1))


def test_a_follow_up_that_does_not_fit_is_refused_naming_the_field():
    for name, bad in (("follow_up", 1 << 32), ("follow_up", -1), ("follow_up", "41"), ("action", 256),
                      ("staff", None), ("clock_valid", 0)):
        message = raises_value_error(tobs_record.encode, follow_up_fields(**{name: bad}), 1)
        assert message is not None and message.startswith(name), (name, bad, message)


def test_unknown_flag_bits_are_refused():
    data = bytearray(tobs_record.encode(sample_fields(), 7))
    data[3] |= 0x80
    data[71:75] = struct.pack("<I", binascii.crc32(data[:71]))
    assert "flags" in raises_value_error(tobs_record.decode, data)
