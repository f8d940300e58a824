# Every string the handheld shows, planned for a 16x8-character screen: Danish (the default) here, English in
# text_en.py; plus the helpers that shape text for the screen: word wrap, durations, relative times, UTC clock.
import tobs_core

WIDTH = 16
# Soft hyphen: wrap() may break a long word here and then shows "-"; elsewhere it is dropped.
SHY = "\xad"

# Strings used as one screen row are at most 16 characters (tests check it); the "wrapped" ones are sentences
# that wrap() breaks into rows. "%" placeholders are filled with small numbers or short names.
_DA = {
    "title": "TOBS",
    "example": "EKSEMPEL",
    # Decision support, not diagnosis: the one sentence the start screen always shows (wrapped).
    "disclaimer": "Beslutnings" + SHY + "støtte – ikke diagnose",
    "staff_prompt": "Medarbejdernr.:",
    "hint_start": "#=OK  D=status",
    "enter_staff": "Skriv dit medarbejdernummer.",
    "unknown_staff": "Ukendt medarbejdernummer.",
    "staff_header": "Medarb. %d",
    "pin_prompt": "PIN-kode:",
    "hint_pin": "#=OK  *=ret",
    "enter_pin": "Skriv din PIN-kode.",
    "wrong_pin": "Forkert PIN. Prøv igen.",
    "hint_home": "#=ny måling *=ud",
    "nothing_due": "Ingen målinger forfalder nu.",
    "more": "+%d flere",
    "new_measurement": "Ny måling",
    "patient_prompt": "Patientnummer:",
    "patient_header": "Pt %d",
    "enter_patient": "Skriv patientens nummer.",
    "patient_zero": "Patientnummer kan ikke være 0.",
    "enter_value": "Skriv en værdi.",
    "hint_entry": "#=OK *=ret C=afb",
    "hint_temp": "A=sted #OK *=ret",
    "temp_label": "Temp. %s",
    "rectal_now": "Mål rektalt (kor. %s).",
    "hint_menu": "1-%d #=OK *=tilb",
    "choose": "Vælg 1-%d.",
    "confirm3": "Bekræft: 3 point",
    "confirm3_ask": "Er det rigtigt?",
    "hint_confirm3": "#=ja  *=ret",
    "cancel_ask": "Afbryd måling?",
    "cancel_note": "Intet gemmes.",
    "hint_yes_no": "#=ja  *=nej",
    "total": "TOBS i alt",
    "short_pulse": "Puls",
    "short_resp": "Resp.",
    "short_temp": "Temp.",
    "short_sys_bp": "Syst. BT",
    "short_awareness": "Bevidsth.",
    "call": "Kontakt %s",
    "phone": "Tlf. %s",
    "remeasure": "Mål igen om %s.",
    "hint_review": "#=gem 2/8 *=ret",
    "action_title": "Handling udført:",
    "action_optional": "Evt. handling:",
    "action_required": "Vælg handling",
    "reason_title": "Begrundelse:",
    "reason_required": "Vælg begrundelse",
    "saved": "Gemt",
    "no_reminder": "Ingen påmindelse",
    "hint_saved": "#=næste *=hjem",
    "store_full": "Hukommelse fuld – synkronisér",
    "save_failed": "Kunne ikke gemme. Prøv igen.",
    "any_key": "Tryk en tast",
    "no_config": "Opsætning mangler. Kontakt IT.",
    "status": "Status",
    "example_config": "EKSEMPEL-OPSÆTN.",
    "config_error": "Fejl i site.json",
    "unsynced": "Usynk.: %d",
    "syncing": "Synkroniserer",
    "sync_progress": "%d af %d",
    "sync_keep": "Tag ikke kablet ud.",
    "free": "Fri: %d kB",
    "clock_set": "Ur stillet (UTC)",
    "clock_unset": "Ur ikke stillet!",
    "device": "Enheds-id:",
    "core": "Kerne %s",
    "config": "Opsæt. %s",
    "hint_status": "2/8 rul  #=ud",
    "minutes": "%d min",
    "hours": "%d t",
    "rel_minutes": "%dm",
    "rel_hours": "%dt",
    "rel_days": "%dd",
}

# The awareness menu on 16 columns: "5 Ingen reaktion" is the longest row (tobs_core's labels are longer).
_DA_AWARENESS = {
    "habitual": "Habituel", "agitated": "Urolig/konfus", "voice": "Kun på tiltale",
    "pain": "Kun på smerte", "unresponsive": "Ingen reaktion",
}


def _english():
    # English is loaded only when a site asks for it: every string costs heap on the device.
    from handheld import text_en

    return text_en


def strings(lang):
    """The whole string table of a language (Danish for anything but "en")."""
    return _english().STRINGS if lang == "en" else _DA


def get(lang, key):
    """The string for key in lang; an unknown language falls back to Danish."""
    return strings(lang)[key]


def label(lang, code):
    """tobs_core's label for a field or code (Puls, rektal, ...)."""
    return tobs_core.LABELS.get(lang, tobs_core.LABELS["da"])[code]


def awareness(lang, code):
    """The awareness menu's short label for a tobs_core awareness code."""
    return (_english().AWARENESS if lang == "en" else _DA_AWARENESS)[code]


def temp(tenths, lang):
    """Danish decimal comma: 375 -> '37,5'."""
    return tobs_core.format_tenths(tenths, "en" if lang == "en" else "da")


def plain(s):
    """s without soft hyphens (for logs and comparisons)."""
    return s.replace(SHY, "")


def _split_word(word, width, out):
    # A word longer than the line: break at its last soft hyphen that fits, else hard at the width.
    while len(word) > width:
        cut = word.rfind(SHY, 0, width)
        if cut > 0:
            out.append(word[:cut] + "-")
            word = word[cut + 1:]
        else:
            out.append(word[:width])
            word = word[width:]
    return word


def wrap(s, width=WIDTH):
    """s broken into lines of at most width characters, at spaces (and soft hyphens inside long words)."""
    lines = []
    line = ""
    for word in s.split():
        if len(plain(word)) > width:
            if line:
                lines.append(line)
            line = _split_word(word, width, lines)
            line = plain(line)
            continue
        word = plain(word)
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line = line + " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def duration(minutes, lang):
    """A re-measure interval: '45 min', '2 t' (whole hours), '90 min'."""
    if minutes >= 60 and minutes % 60 == 0:
        return get(lang, "hours") % (minutes // 60)
    return get(lang, "minutes") % minutes


def relative(seconds, lang):
    """A short time to (positive) or past (negative) a due time, at most 5 characters: '25m', '-3t', '2d'."""
    sign = "-" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    if minutes < 100:
        return sign + get(lang, "rel_minutes") % minutes
    if minutes < 48 * 60:
        return sign + get(lang, "rel_hours") % (minutes // 60)
    return sign + get(lang, "rel_days") % min(99, minutes // (24 * 60))


def utc(unix_s):
    """'2026-11-22 14:30' in UTC, computed here so it does not depend on the port's time epoch."""
    days, secs = divmod(unix_s, 86400)
    # Civil date from days since 1970-01-01 (proleptic Gregorian, eras of 400 years).
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return "%04d-%02d-%02d %02d:%02d" % (year, month, day, secs // 3600, secs % 3600 // 60)
