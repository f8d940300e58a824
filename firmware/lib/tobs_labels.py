# The chart's words: what each parameter, awareness level and temperature site is called, and the one sentence
# that tells a nurse why a value cannot be scored, in Danish and English. Shared by the handheld and the PC like
# tobs_core, but kept out of it so that the clinically reviewed chart file changes only for clinical reasons.

LABELS = {
    "da": {
        "pulse": "Puls", "resp": "Respiration", "temp": "Temperatur", "sys_bp": "Systolisk BT",
        "awareness": "Bevidsthed", "temp_site": "Målested",
        "habitual": "Habituel", "agitated": "Urolig/konfus", "voice": "Reagerer kun på tiltale",
        "pain": "Reagerer kun på smerte", "unresponsive": "Ingen reaktion",
        "rectal": "rektal", "oral": "oral", "axillary": "aksillær",
    },
    "en": {
        "pulse": "Pulse", "resp": "Respiration", "temp": "Temperature", "sys_bp": "Systolic BP",
        "awareness": "Awareness", "temp_site": "Site",
        "habitual": "Usual for this person", "agitated": "Agitated/confused", "voice": "Responds only to voice",
        "pain": "Responds only to pain", "unresponsive": "No response",
        "rectal": "rectal", "oral": "oral", "axillary": "axillary",
    },
}
LANGUAGES = ("da", "en")
UNITS = {"pulse": "/min", "resp": "/min", "temp": "°C", "sys_bp": "mmHg", "awareness": ""}

# One sentence per tobs_core.VitalError reason code, naming the field; {f} is the field's label, {lo}/{hi} the
# limits.
_MESSAGES = {
    "da": {
        "range": "{f} skal være mellem {lo} og {hi}.",
        "whole": "{f} skal være et helt tal.",
        "tenths": "{f} angives med én decimal.",
        "number": "{f} skal være et tal.",
        "code": "{f}: ukendt valg.",
        "rectal": "Mål rektalt: {f} er uden for {lo}-{hi} efter korrektion.",
    },
    "en": {
        "range": "{f} must be between {lo} and {hi}.",
        "whole": "{f} must be a whole number.",
        "tenths": "{f} is given with one decimal.",
        "number": "{f} must be a number.",
        "code": "{f}: unknown choice.",
        "rectal": "Measure rectally: {f} is outside {lo}-{hi} after correction.",
    },
}


def _lang(lang):
    return "en" if lang == "en" else "da"


def label(lang, code):
    """The label of a field or code in lang (Danish for an unknown language): Puls, rektal, Habituel, ..."""
    return LABELS[_lang(lang)][code]


def format_tenths(tenths, lang="da"):
    """37.5 as '37,5' in Danish and '37.5' in English, from integer tenths."""
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    return "%s%d%s%d" % (sign, tenths // 10, "," if _lang(lang) == "da" else ".", tenths % 10)


def message(error, lang="da"):
    """The sentence for a tobs_core.VitalError (or RectalRequired) in lang."""
    lang = _lang(lang)

    def shown(v):
        return format_tenths(v, lang) if error.field == "temp" else str(v)

    text = _MESSAGES[lang][error.reason]
    lo = "" if error.lo is None else shown(error.lo)
    hi = "" if error.hi is None else shown(error.hi)
    return text.replace("{f}", LABELS[lang][error.field]).replace("{lo}", lo).replace("{hi}", hi)
