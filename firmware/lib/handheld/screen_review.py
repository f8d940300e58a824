# The flow's review (flow.py), after the last value: its first page is the total with the site's guidance and who
# to call with the number; the next pages (8) are the values with their points, a value scoring 3 marked; # goes on
# to the action (screen_action.py) once the whole guidance has been on the screen.
import tobs_core
from handheld import const, text
from handheld.ui import ACTION, AWARENESS, FIELDS, fit, header

_FIRST = const(5)  # rows 2-6 of the first page, under the patient and the big total
_PAGE = const(6)  # rows 1-6 of the other pages, under a one-row header


def score(f):
    """Score the entered set (on the way to the review) and look up the site's guidance for it."""
    v = f.values
    try:
        f.result = tobs_core.score(v["pulse"], v["resp"], v["temp"] / 10, v["sys_bp"], f.awareness, f.temp_site)
    except tobs_core.VitalError as e:
        # Every field was checked on entry, so this only guards a path that skipped one: back to it.
        f.board.log("review: %s" % text.refusal("en", e))
        f.go(e.field if e.field in FIELDS else AWARENESS)
        f.say(text.refusal(f.lang, e))
        return
    guide(f)
    f.measured_at = f.board.now()
    f.measured_ms = f.board.ticks_ms()


def guide(f):
    """The guidance level and the review's pages for the result, from the site configuration in use."""
    f.guidance = f.site.guidance_for_score(f.result)
    f.review, f.guide_pages = _pages(f)
    f.top = f.seen = 0


def _pair(name, value, points):
    """One values row: name, value right-aligned at column 11, the points at 14, and a ! for a 3."""
    return name + " " * (12 - len(name) - len(value)) + value + "  %d%s" % (points, "!" if points == 3 else "")


def _guidance_rows(f, level):
    """The rows the nurse must have seen before saving: what to do, and who to call with the number."""
    urgent = level["escalate"]
    rows = [(line, urgent) for line in text.wrap(level["text"])]
    call = level.get("call")
    if call:
        who = f.t("call") % call["who"]
        rows.append((who if len(who) <= text.WIDTH else call["who"], urgent))
        rows.append((fit(f.t("phone") % call["number"]), urgent))
    return rows


def _value_rows(f):
    result, lang = f.result, f.lang
    rows = []
    for field in FIELDS:
        value = f.values[field]
        points = result.points[field]
        shown = text.temp(value, lang) if field == "temp" else str(value)
        rows.append((_pair(f.t("s_" + field), shown, points), points == 3))
        if field == "temp" and f.temp_site != "rectal":
            site = text.label(lang, f.temp_site) + " = " + text.temp(result.temp_scored_tenths, lang)
            rows.append((fit(" " + site), points == 3))
    points = result.points[AWARENESS]
    rows.append((_pair(f.t("s_" + AWARENESS), "", points), points == 3))
    rows.append((fit(" " + text.awareness(lang, f.awareness)), points == 3))
    return rows


def _pages(f):
    """The review as pages of (text, inverse) rows: the guidance first (the first page holds _FIRST rows, the rest
    _PAGE), then the values on pages of their own, then when to measure again; and how many pages are guidance."""
    level = f.guidance
    if f.result is None or level is None:
        return [], 0
    guidance = _guidance_rows(f, level)
    pages = [guidance[:_FIRST]]
    for i in range(_FIRST, len(guidance), _PAGE):
        pages.append(guidance[i : i + _PAGE])
    guide_pages = len(pages)
    rows = _value_rows(f)
    if level["remeasure_min"]:
        rows.extend((line, False) for line in text.wrap(f.t("remeasure") % text.duration(level["remeasure_min"],
                                                                                            f.lang)))
    for i in range(0, len(rows), _PAGE):
        pages.append(rows[i : i + _PAGE])
    return pages, guide_pages


def guidance_seen(f):
    return f.seen >= f.guide_pages - 1


# ---- keys -----------------------------------------------------------------------------------------------
def key(f, k):
    if k == "8":
        f.top = min(f.top + 1, len(f.review) - 1)
        f.seen = max(f.seen, f.top)
    elif k == "2":
        f.top = max(0, f.top - 1)
    elif k == "*":
        f.step(-1)
    elif k == "#":
        if not guidance_seen(f):
            f.notice(f.t("read_all"))
        elif not f.store.can_store():
            f.notice(f.t("store_full"))
        else:
            f.go(ACTION)


# ---- drawing --------------------------------------------------------------------------------------------
def draw(f):
    d = f.disp
    result = f.result
    if result is None:
        return
    top = f.top
    rows = f.review[top] if top < len(f.review) else []
    if top == 0:
        d.text(f.t("pt_head") % f.patient, 0, 0)
        d.text(f.t("total"), 0, 1)
        total = str(result.total)
        d.big(total, text.WIDTH - 2 * len(total), 0)
        first = 2
    else:
        total = str(result.total)
        d.row(0, header(f.t("pt_head") % f.patient, f.t("title") + " " + total, total))
        first = 1
    for i, (line, inverse) in enumerate(rows):
        d.row(first + i, line, inverse)
    if not guidance_seen(f) and top < f.guide_pages:
        hint = "hint_more"
    else:
        hint = "hint_rev" if top == 0 else "hint_rev2"
    d.text(f.t(hint), 0, 7)
