"""`tobs report`: the quality page as a folder of static files for the quality meeting: index.html (styles and
charts inline, so it opens anywhere and prints) and each run chart as its own SVG for slides. The content comes
from the same function as the web page; the bytes depend only on the register's data and the range."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from tobs.register.db import Register, RegisterError
from tobs.reports.quality import LOCAL
from tobs.shared import tobs_core


def judged_at(last: date, now: datetime | None = None) -> datetime:
    """Re-measures are judged as of the end of the range, or now if that is earlier."""
    end = datetime.combine(last + timedelta(days=1), time(), LOCAL).astimezone(timezone.utc)
    now = now or datetime.now(timezone.utc)
    return min(end, now)


def write_report(register: Register, site: str, first: date, last: date, unit: str, lang: str, out: Path,
                 *, now: datetime | None = None) -> Path:
    from tobs.web import ward
    from tobs.web.render import STATIC, page, quality_view

    names = ward.site_names(register)
    if site not in names:
        raise RegisterError(f"Site '{site}' is not in the register.")
    view = quality_view(register, site, names[site], first, last, unit, lang, now=judged_at(last, now))
    html = page("report.html", view=view, lang=lang, account=None, csrf="", sites={}, path="", query="",
                core_id=tobs_core.CORE_ID, where=register.where,
                inline_css=(STATIC / "style.css").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "index.html", html)
    for measure in view.measures:
        _write(out / f"{measure.measure}.svg", '<?xml version="1.0" encoding="utf-8"?>\n' + measure.svg)
    return out / "index.html"


def _write(path: Path, text: str) -> None:
    """Replace the file whole (a half-written report is never left under its name)."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
