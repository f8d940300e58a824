"""The web application over the register (FastAPI, pages rendered on the server, no JavaScript): login, the ward
board, patient pages, quality run charts, the handhelds' health. Every page that shows a patient writes its audit
rows before it is sent; every form carries a CSRF token; sessions end after IDLE minutes without a request."""

from __future__ import annotations

import hmac
import os
import secrets
import statistics
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from tobs.register import audit
from tobs.register.db import Register, RegisterError, open_register
from tobs.register.models import ROLE_ADMIN, ROLE_REGION
from tobs.reports import charts
from tobs.reports.guidance import levels
from tobs.reports.quality import LOCAL, MEASURES, UNITS, default_range
from tobs.shared import tobs_core, tobs_labels
from tobs.web import accounts, devices, ward
from tobs.web.render import STATIC, page, quality_view, small_multiples
from tobs.web.report import judged_at
from tobs.web.text import LANGUAGES, t

SESSION_COOKIE = "tobs_session"
LOGIN_COOKIE = "tobs_login"  # double-submit CSRF token for the login form, which comes before any session
LANG_COOKIE = "tobs_lang"
MAX_RANGE_DAYS = 3 * 366
PATIENT_DAYS = 14  # the patient page shows the last two weeks unless asked for everything (?days=0)

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Pages hold health data: never kept by the browser or a proxy.
    "Cache-Control": "no-store",
}


class Refused(Exception):
    def __init__(self, status: int, key: str):
        super().__init__(key)
        self.status = status
        self.key = key


def create_app(register: Register, *, idle: timedelta = accounts.IDLE_TIMEOUT) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.state.register = register
    idle_minutes = int(idle / timedelta(minutes=1))

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def lang_of(request: Request, account: accounts.Account | None = None) -> str:
        chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        if chosen in LANGUAGES:
            return chosen
        return account.language if account is not None else "da"

    def remote(request: Request) -> str:
        return request.client.host if request.client else "?"

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        lang = context.setdefault("lang", lang_of(request, context.get("account")))
        context.setdefault("account", None)
        context.setdefault("csrf", "")
        context.setdefault("sites", {})
        context["path"] = request.url.path
        context["query"] = str(request.url.query)
        context["core_id"] = tobs_core.CORE_ID
        response = HTMLResponse(page(name, **context), status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", httponly=True)
        return response

    def current(request: Request) -> accounts.ActiveSession | None:
        return accounts.session_for(register, request.cookies.get(SESSION_COOKIE), idle=idle)

    def need_login(request: Request):
        active = current(request)
        if active is None:
            had = bool(request.cookies.get(SESSION_COOKIE))
            target = "/login?next=" + quote(request.url.path) + ("&idle=1" if had else "")
            response = RedirectResponse(target, status_code=303)
            response.delete_cookie(SESSION_COOKIE)
            return None, response
        return active, None

    def visible_sites(account: accounts.Account) -> dict[str, str]:
        names = ward.site_names(register)
        return names if account.all_sites else {k: v for k, v in names.items() if k == account.site}

    def refuse(request: Request, active, status: int, key: str) -> HTMLResponse:
        account = active.account if active else None
        return render(request, "error.html", status=status, account=account, csrf=active.csrf if active else "",
                      sites=visible_sites(account) if account else {}, message_key=key)

    def check_csrf(active: accounts.ActiveSession, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(active.csrf, given)

    # ---- login ------------------------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/", idle: int = 0, error: str = ""):
        token = secrets.token_urlsafe(32)
        response = render(request, "login.html", login_csrf=token, next=_safe_next(next), idle_minutes=idle_minutes,
                          idle=bool(idle), error=error if error in ("login_wrong", "login_throttled", "csrf") else "")
        response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form(""),
              next: str = Form("/")):
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not csrf or not expected or not hmac.compare_digest(csrf, expected):
            return _redirect_login(request, "csrf", status=403)
        try:
            done = accounts.log_in(register, username, password, remote(request))
        except accounts.LoginRefused as e:
            return _redirect_login(request, "login_throttled" if e.throttled else "login_wrong",
                                   status=429 if e.throttled else 401)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(SESSION_COOKIE, done.token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        response.delete_cookie(LOGIN_COOKIE)
        return response

    def _redirect_login(request: Request, key: str, status: int) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = render(request, "login.html", status=status, login_csrf=token, next="/", idle=False,
                          idle_minutes=idle_minutes, error=key)
        response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")):
        active = current(request)
        if active is not None and not check_csrf(active, csrf):
            return refuse(request, active, 403, "csrf")
        accounts.log_out(register, request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # ---- pages ------------------------------------------------------------------------------------------
    @app.get("/")
    def home(request: Request):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        account = active.account
        if account.all_sites:
            return RedirectResponse("/sites", status_code=303)
        if account.may_see_patients(account.site or ""):
            return RedirectResponse(f"/site/{account.site}/board", status_code=303)
        return RedirectResponse(f"/site/{account.site}/quality", status_code=303)

    @app.get("/sites", response_class=HTMLResponse)
    def sites_page(request: Request):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        account = active.account
        return render(request, "sites.html", account=account, csrf=active.csrf, sites=visible_sites(account))

    @app.get("/site/{site}/board", response_class=HTMLResponse)
    def board(request: Request, site: str):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        account = active.account
        sites = visible_sites(account)
        if site not in ward.site_names(register):
            return refuse(request, active, 404, "not_found")
        if not account.may_see_patients(site):
            return refuse(request, active, 403, "forbidden")
        lang = lang_of(request, account)
        now = datetime.now(timezone.utc)
        rows = ward.ward_board(register, site, now=now, lang=lang)
        audit.record_views(register, audit.Viewer(account.username, account.role, remote(request)), "ward_board",
                           site, [r.patient for r in rows], identity_shown=account.sees_identity)
        return render(request, "board.html", account=account, csrf=active.csrf, sites=sites, site=site,
                      site_name=sites.get(site, site), rows=rows, now=now, board_days=ward.BOARD_DAYS,
                      show_identity=account.sees_identity, lang=lang)

    @app.get("/site/{site}/patient/{number}", response_class=HTMLResponse)
    def patient_page(request: Request, site: str, number: int, days: int = PATIENT_DAYS):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        account = active.account
        if site not in ward.site_names(register):
            return refuse(request, active, 404, "not_found")
        if not account.may_see_patients(site):
            return refuse(request, active, 403, "forbidden")
        lang = lang_of(request, account)
        record = ward.patient_record(register, site, number, lang=lang)
        if record is None:
            return refuse(request, active, 404, "not_found")
        audit.record_views(register, audit.Viewer(account.username, account.role, remote(request)), "patient_page",
                           site, [number], identity_shown=account.sees_identity and bool(record.name or record.cpr))
        everything = len(record.sets)
        if days > 0:
            since = datetime.now(timezone.utc) - timedelta(days=days)
            record = replace(record, sets=[s for s in record.sets
                                           if s.observation.measured_at is None or s.observation.measured_at >= since])
        return render(request, "patient.html", account=account, csrf=active.csrf, sites=visible_sites(account),
                      site=site, record=record, trends=_trends(record, lang), show_identity=account.sees_identity,
                      lang=lang, awareness_labels=tobs_labels.LABELS[lang], days=days, everything=everything)

    @app.get("/site/{site}/quality", response_class=HTMLResponse)
    def quality_page(request: Request, site: str, unit: str = "week", first: str = "", last: str = ""):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        account = active.account
        names = ward.site_names(register)
        if site not in names:
            return refuse(request, active, 404, "not_found")
        if not account.may_see_quality(site):
            return refuse(request, active, 403, "forbidden")
        lang = lang_of(request, account)
        unit, start, end = _range(unit, first, last)
        view = quality_view(register, site, names[site], start, end, unit, lang, now=judged_at(end))
        return render(request, "quality.html", account=account, csrf=active.csrf, sites=visible_sites(account),
                      site=site, view=view, unit=unit, first=start.isoformat(), last=end.isoformat(), lang=lang,
                      static=False)

    @app.get("/quality", response_class=HTMLResponse)
    def quality_sites(request: Request, measure: str = "documented", unit: str = "week", first: str = "",
                      last: str = ""):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        account = active.account
        sites = {k: v for k, v in visible_sites(account).items() if account.may_see_quality(k)}
        if not sites:
            return refuse(request, active, 403, "forbidden")
        lang = lang_of(request, account)
        measure = measure if measure in MEASURES else "documented"
        unit, start, end = _range(unit, first, last)
        multiples = small_multiples(register, sites, measure, start, end, unit, lang, now=judged_at(end))
        return render(request, "multiples.html", account=account, csrf=active.csrf, sites=visible_sites(account),
                      multiples=multiples, measure=measure, measures=MEASURES, unit=unit, first=start.isoformat(),
                      last=end.isoformat(), lang=lang)

    @app.get("/devices", response_class=HTMLResponse)
    def devices_page(request: Request, site: str = ""):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        account = active.account
        sites = {k: v for k, v in visible_sites(account).items() if account.may_see_quality(k)}
        if site and site not in sites:
            return refuse(request, active, 403, "forbidden")
        if not sites:
            return refuse(request, active, 403, "forbidden")
        rows = devices.device_health(register, [site] if site else list(sites))
        # MedCom messages that need someone: no acknowledgement in the site's time, or refused. No patient is
        # shown (a region sees this page): `tobs fhir outbox` on the PC names them.
        from tobs.exchange.outbox import problems as message_problems

        messages = message_problems(register, sites=[site] if site else list(sites))
        return render(request, "devices.html", account=account, csrf=active.csrf, sites=visible_sites(account),
                      rows=rows, site=site, site_names=sites, messages=messages, lang=lang_of(request, account))

    @app.get("/account", response_class=HTMLResponse)
    def account_page(request: Request, done: str = ""):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        return render(request, "account.html", account=active.account, csrf=active.csrf,
                      sites=visible_sites(active.account), message=done)

    @app.post("/account/password", response_class=HTMLResponse)
    def change_password(request: Request, csrf: str = Form(""), current_password: str = Form(""),
                        new_password: str = Form("")):
        active, redirect = need_login(request)
        if redirect:
            return redirect
        if not check_csrf(active, csrf):
            return refuse(request, active, 403, "csrf")
        account = active.account
        try:
            accounts.log_in(register, account.username, current_password, remote(request))
        except accounts.LoginRefused:
            return render(request, "account.html", status=400, account=account, csrf=active.csrf,
                          sites=visible_sites(account), message="password_wrong")
        try:
            accounts.set_password(register, account.username, new_password)
        except RegisterError:
            return render(request, "account.html", status=400, account=account, csrf=active.csrf,
                          sites=visible_sites(account), message="password_short")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.exception_handler(404)
    def _not_found(request: Request, exc):
        return render(request, "error.html", status=404, message_key="not_found")

    return app


def _safe_next(target: str) -> str:
    """Only a path on this server: a login link must not send the user elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _range(unit: str, first: str, last: str) -> tuple[str, date, date]:
    unit = unit if unit in UNITS else "week"
    today = datetime.now(LOCAL).date()
    start, end = default_range(today, unit)
    try:
        if first:
            start = date.fromisoformat(first)
        if last:
            end = date.fromisoformat(last)
    except ValueError:
        start, end = default_range(today, unit)
    if end < start:
        start, end = end, start
    if (end - start).days > MAX_RANGE_DAYS:
        start = end - timedelta(days=MAX_RANGE_DAYS)
    return unit, start, end


def _trends(record: ward.PatientRecord, lang: str) -> list[str]:
    """The patient's SVG trends: the total on the site's guidance bands, then each vital on the chart's bands."""
    timed = [s for s in record.sets if s.observation.measured_at is not None]
    if not timed:
        return []
    times = [s.observation.measured_at for s in timed]
    labels = tobs_labels.LABELS[lang]
    out = []
    total_shading = []
    for band in levels(record.guidance.body):
        if band.get("any_three"):
            continue
        low, high = band["total"]
        level = record.guidance.band_for(low, False).level
        total_shading.append((low - 0.5, None if high is None else high + 0.5, charts.LEVEL_SHADES[level]))
    out.append(charts.trend_chart(times, [s.observation.total for s in timed], prefix="t-total",
                                  title=t(lang, "total"), unit="0–15", shading=total_shading, limits=(-0.5, 15.5)))
    # Enough of each scale to show the bands around a value, widened to the patient's values.
    usual = {"pulse": (35.0, 145.0), "resp": (6.0, 30.0), "temp": (34.5, 40.5), "sys_bp": (60.0, 210.0)}
    for field, scale in (("pulse", 1), ("resp", 1), ("temp", 10), ("sys_bp", 1)):
        if field == "temp":
            values = [s.observation.temp_scored / 10 for s in timed]
        else:
            values = [float(getattr(s.observation, field)) for s in timed]
        shading = [
            (None if low is None else (low - 0.5) / scale, None if high is None else (high + 0.5) / scale,
             charts.POINT_SHADES[points])
            for low, high, points in dict(tobs_core.BANDS)[field] if points
        ]
        # The patient's habitual level: the median of their own values, once there are enough to speak of one.
        habitual = statistics.median(values) if len(values) >= 3 else None
        out.append(charts.trend_chart(times, values, prefix=f"t-{field}", title=labels[field],
                                      unit=tobs_labels.UNITS[field], shading=shading, habitual=habitual,
                                      habitual_label=t(lang, "habitual"), limits=usual[field]))
    out.append(charts.trend_chart(
        times, [float(s.observation.awareness_pts) for s in timed], prefix="t-awareness", title=labels["awareness"],
        unit="point" if lang == "da" else "points",
        shading=[(0.5, 1.5, charts.POINT_SHADES[1]), (1.5, 2.5, charts.POINT_SHADES[2]),
                 (2.5, None, charts.POINT_SHADES[3])],
        limits=(-0.3, 3.3), step=True))
    return out


def create_app_from_environment() -> FastAPI:
    """For a server running several worker processes: each opens the register named in TOBS_DB."""
    idle = timedelta(minutes=float(os.environ.get("TOBS_WEB_IDLE_MIN", accounts.IDLE_TIMEOUT.total_seconds() / 60)))
    register = open_register(os.environ.get("TOBS_DB") or None, announce=None)
    return create_app(register, idle=idle)


__all__ = ["create_app", "create_app_from_environment", "ROLE_ADMIN", "ROLE_REGION"]
