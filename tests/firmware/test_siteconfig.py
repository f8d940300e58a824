# Site configuration: the shipped example loads and is marked, a usable site.json wins, a broken one never
# bricks the device (fallback + warning), guidance picks the right level, PINs check. Both runtimes.
import json
import sys
from binascii import hexlify
from hashlib import sha256

from flow_support import DEFAULT_CONFIG, read, remove_tree, scratch, write

import tobs_core
from handheld import siteconfig, siteconfig_check, siteconfig_load, text


def default_data():
    return json.loads(read(DEFAULT_CONFIG).decode())


def load_with(name, site_json):
    root = scratch("siteconfig-" + name)
    if site_json is not None:
        write(root + "/site.json", site_json)
    try:
        return siteconfig_load.load(root, DEFAULT_CONFIG)
    finally:
        remove_tree(root)


def test_the_shipped_default_is_a_marked_example_and_valid():
    site = load_with("default", None)
    assert site.example is True and site.warning is None and site.path == DEFAULT_CONFIG
    assert site.language == "da" and site.idle_logout_min == 10 and site.idle_ms == 600000
    assert site.site_name.startswith("EKSEMPEL")
    data = read(DEFAULT_CONFIG)
    assert site.config_id == hexlify(sha256(data).digest()[:4]).decode() and len(site.config_id) == 8
    comment = " ".join(default_data()["comment"])
    assert "EKSEMPEL" in comment and "staff 1001 PIN 1234" in comment and "staff 1002 PIN 5678" in comment


def test_the_default_is_found_next_to_main_py_without_being_told():
    assert siteconfig.DEFAULT_PATH.endswith("firmware/site_default.json")
    assert read(siteconfig.DEFAULT_PATH) == read(DEFAULT_CONFIG)
    root = scratch("siteconfig-nopath")
    site = siteconfig_load.load(root)
    remove_tree(root)
    assert site.example and site.config_id == siteconfig.config_id(read(DEFAULT_CONFIG))


def test_a_valid_site_json_wins_over_the_default():
    data = default_data()
    data["example"] = False
    data["site_name"] = "Plejecenter Solbakken"
    data["language"] = "en"
    raw = json.dumps(data).encode()
    site = load_with("valid", raw)
    assert not site.example and site.warning is None and site.path.endswith("/site.json")
    assert site.site_name == "Plejecenter Solbakken" and site.language == "en"
    assert site.config_id == siteconfig.config_id(raw) != siteconfig.config_id(read(DEFAULT_CONFIG))


def broken_variants():
    """(name, bytes) of site.json files that must not be used."""
    out = [("not json", b'{"site_id": '), ("not utf-8", b'{"site_id": "\xff"}'), ("a list", b"[]"),
           ("too large", b" " * (siteconfig.MAX_FILE_BYTES + 1))]

    def variant(name, change):
        data = default_data()
        change(data)
        out.append((name, json.dumps(data).encode()))

    variant("gap in totals", lambda d: d["guidance"][2].update({"total": [3, 4]}))
    variant("totals stop short", lambda d: d["guidance"][4].update({"total": [5, 14]}))
    variant("two any_three levels", lambda d: d["guidance"].append(dict(d["guidance"][3])))
    variant("no staff", lambda d: d.update({"staff": []}))
    variant("short pin hash", lambda d: d["staff"][0].update({"pin_sha256": "abc"}))
    variant("duplicate staff", lambda d: d["staff"].append(dict(d["staff"][0])))
    variant("unknown language", lambda d: d.update({"language": "sv"}))
    variant("idle logout 0", lambda d: d.update({"idle_logout_min": 0}))
    variant("label too long", lambda d: d["actions"][0].update({"da": "Kontaktet sygeplejerske"}))
    variant("english label missing", lambda d: d["reasons"][0].pop("en"))
    variant("duplicate action code", lambda d: d["actions"][1].update({"code": 1}))
    variant("action code 0", lambda d: d["actions"][0].update({"code": 0}))
    variant("seven actions", lambda d: d["actions"].extend([{"code": 9 + i, "da": "X", "en": "X"} for i in range(2)]))
    variant("no reasons but observe", lambda d: d.update({"reasons": []}))
    variant("guidance too long", lambda d: d["guidance"][0]["text"].update({"da": "Ord " * 20}))
    variant("bool interval", lambda d: d["guidance"][0].update({"remeasure_min": True}))
    variant("document missing", lambda d: d["guidance"][1].pop("document"))
    variant("long phone number", lambda d: d["guidance"][2]["call"].update({"number": "+45 1234 5678"}))
    return out


def test_a_broken_site_json_is_refused_and_never_replaced_by_the_example():
    # It once fell back to the example, whose staff and PINs (1001/1234) are published: `tobs site push` of `{}`
    # opened the handheld to anyone who had read the README.
    for name, raw in broken_variants() + [("empty object", b"{}"), ("a list", b"[]"), ("not UTF-8", b"\xff\xfe")]:
        try:
            site = load_with("broken", raw)
        except siteconfig.ConfigError as e:
            assert str(e).startswith("site.json not used: "), (name, str(e))
        else:
            raise AssertionError("%s: loaded as %s" % (name, site.path))


def test_validation_names_the_problem():
    data = default_data()
    data["guidance"][2]["total"] = [3, 4]
    try:
        siteconfig_check.validate(data)
    except siteconfig.ConfigError as e:
        assert "guidance[2]" in str(e) and "start at 2" in str(e), str(e)
    else:
        raise AssertionError("a gap in the totals was accepted")


def test_no_configuration_at_all_is_an_error_not_a_silent_default():
    root = scratch("siteconfig-none")
    try:
        siteconfig_load.load(root, root + "/missing.json")
    except siteconfig.ConfigError as e:
        assert "no site.json" in str(e)
    else:
        raise AssertionError("loaded without any configuration")
    finally:
        remove_tree(root)


def test_guidance_is_the_level_of_the_total_and_a_single_3_escalates_to_at_least_its_level():
    site = load_with("guidance", None)
    expected = {0: "0", 1: "1", 2: "2-4", 3: "2-4", 4: "2-4"}
    for total in range(tobs_core.MAX_TOTAL + 1):
        assert site.guidance_for(total, False)["id"] == expected.get(total, "5+"), total
        # The any-3 level ranks above 2-4 and below 5+ in the example.
        assert site.guidance_for(total, True)["id"] == ("5+" if total >= 5 else "any3"), total
    calm = tobs_core.score(72, 16, 37.5, 120, "habitual")
    assert site.guidance_for_score(calm)["id"] == "0"
    one_three = tobs_core.score(135, 16, 37.5, 120, "habitual")
    assert one_three.total == 3 and site.guidance_for_score(one_three)["id"] == "any3"
    urgent = site.guidance_for_score(tobs_core.score(115, 22, 39.0, 90, "voice"))
    assert urgent["id"] == "5+" and urgent["call"]["number"] == "1813" and urgent["escalate"]


def test_the_level_order_puts_any_three_where_the_site_ranks_it():
    data = default_data()
    levels = data["guidance"]
    data["guidance"] = [levels[0], levels[1], levels[2], levels[4], levels[3]]  # any3 now above 5+
    site = siteconfig_load.parse(json.dumps(data).encode())
    assert site.guidance_for(9, True)["id"] == "any3" and site.guidance_for(9, False)["id"] == "5+"


def test_pins_check_against_the_salted_hash():
    site = load_with("pins", None)
    assert site.check_pin(1001, "1234") and site.check_pin(1002, "5678")
    assert not site.check_pin(1001, "1235") and not site.check_pin(1001, "5678")
    assert not site.check_pin(1002, "1234") and not site.check_pin(4242, "1234")
    assert not site.check_pin(1001, "") and not site.check_pin(1001, "12345")
    data = default_data()
    recipe = "%s:%d:%s" % (data["pin_salt"], 1001, "1234")
    assert hexlify(sha256(recipe.encode()).digest()).decode() == data["staff"][0]["pin_sha256"]
    assert site.has_staff(1001) and site.has_staff(1002) and not site.has_staff(1003)


def test_the_device_keeps_the_texts_of_the_site_language_and_they_fit_a_menu_row():
    for lang, observe, doctor, who in (("da", "Observeres", "Kontakt læge nu.", "læge"),
                                       ("en", "Observe", "Call a doctor now.", "doctor")):
        data = default_data()
        data["language"] = lang
        site = load_with("texts-" + lang, json.dumps(data).encode())
        assert site.language == lang and site.warning is None
        for code, label, _ in site.actions + site.reasons:
            assert 0 < len(label) <= 14, (lang, code, label)
        assert site.action(5) == (5, observe, True) and site.action(0) is None
        assert site.reasons[1][:2] == (2, data["reasons"][1][lang])
        for level in site.guidance:
            assert len(text.wrap(level["text"])) <= siteconfig.GUIDANCE_MAX_LINES
        urgent = site.guidance_for(9, False)
        assert urgent["text"].startswith(doctor) and urgent["call"] == {"who": who, "number": "1813"}


def test_the_loading_code_and_the_checks_are_unloaded_after_use():
    import handheld

    for name in ("siteconfig_load", "siteconfig_check"):
        handheld.unload(name)
    root = scratch("siteconfig-unload")
    try:
        site = handheld.once("siteconfig_load", "load", root, DEFAULT_CONFIG)
    finally:
        remove_tree(root)
    assert site.example is True
    for name in ("siteconfig_load", "siteconfig_check"):
        assert "handheld." + name not in sys.modules and not hasattr(handheld, name), name
    # What the loaded configuration is made of stays.
    assert "handheld.siteconfig" in sys.modules
    try:
        siteconfig_check.validate({})
    except siteconfig.ConfigError as e:
        assert str(e).startswith("site_id: "), str(e)
    else:
        raise AssertionError("an empty configuration was accepted")
