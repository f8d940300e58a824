"""`tobs score`: the breakdown, the documented JSON, and one clear sentence for bad input."""

import json
import subprocess

from tools_support import tool

import tobs_core

ARGS = ["--pulse", "92", "--resp", "19", "--temp", "38.7", "--temp-site", "rectal", "--sys-bp", "147",
        "--awareness", "pain"]


def tobs(*args):
    return subprocess.run([tool("tobs"), *args], capture_output=True, text=True, timeout=60)


def replace(args, option, value):
    args = list(args)
    args[args.index(option) + 1] = value
    return args


def test_json_is_the_documented_shape():
    result = tobs("score", *ARGS, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "total": 4,
        "points": {"pulse": 1, "resp": 0, "temp": 1, "sys_bp": 0, "awareness": 2},
        "core_id": tobs_core.CORE_ID,
    }


def test_breakdown_shows_every_parameter_and_the_total():
    result = tobs("score", *ARGS)
    assert result.returncode == 0, result.stderr
    for text in ("Pulse", "Respiration", "Temperature", "Systolic BP", "Awareness", "Total", "38.7", "147"):
        assert text in result.stdout
    assert "not diagnosis" in result.stdout


def test_danish_decimal_comma_and_oral_site():
    result = tobs("score", *replace(replace(ARGS, "--temp", "37,5"), "--temp-site", "oral"), "--json", "--lang", "da")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["points"]["temp"] == 1


def test_bad_input_exits_non_zero_with_one_sentence_naming_the_field():
    cases = [
        (replace(ARGS, "--pulse", "400"), "Pulse"),
        (replace(ARGS, "--resp", "abc"), "Respiration"),
        (replace(ARGS, "--sys-bp", "120.5"), "Systolic BP"),
        (replace(ARGS, "--awareness", "asleep"), "Awareness"),
        (replace(replace(ARGS, "--temp", "35.0"), "--temp-site", "oral"), "rectally"),
        (replace(ARGS, "--temp-site", "ear"), "Site"),
    ]
    for args, named in cases:
        result = tobs("score", *args)
        assert result.returncode != 0, args
        assert result.stdout == "", args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and named in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr
