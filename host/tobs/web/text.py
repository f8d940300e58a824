"""The web view's words in Danish (the default) and English, and the small formatting helpers the pages share."""

from __future__ import annotations

from datetime import datetime, timedelta

from tobs.reports.quality import LOCAL

LANGUAGES = ("da", "en")

WORDS = {
    "app": ("TOBS – tidlig opsporing", "TOBS – early warning"),
    "disclaimer": ("Beslutningsstøtte – ikke diagnose", "Decision support, not diagnosis"),
    "login": ("Log ind", "Log in"),
    "logout": ("Log ud", "Log out"),
    "username": ("Brugernavn", "User name"),
    "password": ("Adgangskode", "Password"),
    "login_wrong": ("Forkert brugernavn eller adgangskode.", "Wrong user name or password."),
    "login_throttled": ("For mange forkerte forsøg. Vent 15 minutter, eller kontakt en administrator.",
                        "Too many failed attempts. Wait 15 minutes or ask an administrator."),
    "logged_out_idle": ("Du blev logget ud efter %d minutter uden aktivitet.",
                        "You were logged out after %d idle minutes."),
    "csrf": ("Formularen var udløbet eller ufuldstændig. Prøv igen.",
             "The form had expired or was incomplete. Try again."),
    "forbidden": ("Du har ikke adgang til denne side.", "You do not have access to this page."),
    "not_found": ("Siden findes ikke.", "The page does not exist."),
    "sites": ("Enheder", "Sites"),
    "board": ("Tavle", "Ward board"),
    "quality": ("Kvalitet", "Quality"),
    "devices": ("Håndholdte", "Handhelds"),
    "account": ("Konto", "Account"),
    "board_title": ("Tavle – %s", "Ward board – %s"),
    "board_intro": ("Patienter med en måling de sidste %d dage. Dem der kræver handling står øverst.",
                    "Patients with a set in the last %d days. Those needing action come first."),
    "patient": ("Patient", "Patient"),
    "name": ("Navn", "Name"),
    "score": ("TOBS", "TOBS"),
    "measured": ("Målt", "Measured"),
    "since": ("Siden", "Since"),
    "remeasure": ("Ny måling", "Re-measure"),
    "escalation": ("Handling", "Action"),
    "trend": ("Udvikling", "Trend"),
    "guidance": ("Vejledning", "Guidance"),
    "overdue": ("Overskredet", "Overdue"),
    "due": ("Snart", "Due soon"),
    "later": ("Kl. %s", "At %s"),
    "no_remeasure": ("Efter skøn", "As judged"),
    "missing": ("MANGLER", "MISSING"),
    "none_needed": ("–", "–"),
    "trend_up": ("Stigende", "Rising"),
    "trend_down": ("Faldende", "Falling"),
    "trend_same": ("Uændret", "Unchanged"),
    "trend_new": ("Første måling", "First set"),
    "no_patients": ("Ingen patienter med målinger de sidste %d dage.", "No patients with sets in the last %d days."),
    "unknown_config": ("Konfiguration %s findes ikke i registret; vurderet efter eksemplet.",
                       "Configuration %s is not in the register; judged by the example."),
    "patient_title": ("Patient %d – %s", "Patient %d – %s"),
    "identity_hidden": ("Navn og CPR vises kun for plejepersonale.", "Name and CPR are shown to care staff only."),
    "cpr": ("CPR", "CPR"),
    "total": ("TOBS total", "TOBS total"),
    "habitual": ("habituelt niveau", "habitual level"),
    "sets": ("Målinger", "Sets"),
    "action": ("Handling", "Action"),
    "reason": ("Begrundelse", "Reason"),
    "staff": ("Personale", "Staff"),
    "device": ("Håndholdt", "Handheld"),
    "flags": ("Bemærk", "Flags"),
    "showing_days": ("De sidste %d dage: %d af %d målinger.", "The last %d days: %d of %d sets."),
    "show_all": ("Vis alle", "Show all"),
    "time_unknown": ("ukendt tid", "time unknown"),
    "no_sets": ("Ingen målinger.", "No sets."),
    "quality_title": ("Kvalitet – %s", "Quality – %s"),
    "quality_intro": (
        "Seriediagrammer pr. %s med Anhøjs regler: et usædvanligt langt forløb på samme side af medianen eller "
        "for få krydsninger af den betyder, at processen har ændret sig. Punkter på medianen tælles ikke med.",
        "Run charts per %s with Anhøj's rules: an unusually long run on one side of the median, or too few "
        "crossings of it, means the process has changed. Points on the median are not counted."),
    "week": ("uge", "week"),
    "month": ("måned", "month"),
    "per_week": ("Pr. uge", "Per week"),
    "per_month": ("Pr. måned", "Per month"),
    "from": ("Fra", "From"),
    "to": ("Til", "To"),
    "show": ("Vis", "Show"),
    "m_sets": ("Målinger taget", "Sets taken"),
    "m_documented": ("Forhøjede målinger med dokumenteret handling", "Elevated sets with a documented action"),
    "m_minutes_to_next": ("Tid fra forhøjet score til næste måling (median)",
                          "Time from an elevated score to the next set (median)"),
    "m_on_time": ("Genmålinger til tiden", "Re-measures on time"),
    "u_sets": ("antal", "count"),
    "u_documented": ("%", "%"),
    "u_minutes_to_next": ("minutter", "minutes"),
    "u_on_time": ("%", "%"),
    "signal_long_run": ("Signal: usædvanligt langt forløb (%d punkter; grænse %d).",
                        "Signal: unusually long run (%d points; limit %d)."),
    "signal_crossings": ("Signal: for få krydsninger (%d; grænse %d).", "Signal: too few crossings (%d; limit %d)."),
    "no_signal": ("Ingen signal: tilfældig variation (længste forløb %d, grænse %d; krydsninger %d, grænse %d).",
                  "No signal: random variation (longest run %d, limit %d; crossings %d, limit %d)."),
    "all_on_median": ("Alle punkter ligger på medianen: ingen variation at vurdere.",
                      "Every point is on the median: no variation to judge."),
    "too_few": ("Ingen data i perioden.", "No data in the period."),
    "median": ("Median", "Median"),
    "period": ("Periode", "Period"),
    "elevated": ("Forhøjede", "Elevated"),
    "documented": ("Dokumenteret", "Documented"),
    "due_count": ("Skulle genmåles", "Re-measure due"),
    "on_time": ("Til tiden", "On time"),
    "side_by_side": ("Enheder side om side", "Sites side by side"),
    "measure": ("Mål", "Measure"),
    "definitions": ("Definitioner", "Definitions"),
    "def_elevated": (
        "Forhøjet: målingen faldt i et vejledningsbånd, som enhedens konfiguration markerer som eskalering. "
        "Dokumenteret: en handling er valgt på den håndholdte. Genmåling til tiden: næste måling kom inden for "
        "båndets interval + %d minutter (sæt hvis genmåling endnu ikke er forfalden tælles ikke). "
        "En næste måling mere end %d dage senere tæller som ingen.",
        "Elevated: the set fell in a guidance band the site's configuration marks as escalate. Documented: an "
        "action was chosen on the handheld. Re-measure on time: the next set came within the band's interval + %d "
        "minutes (sets whose re-measure is not due yet are not counted). A next set more than %d days later "
        "counts as none."),
    "devices_title": ("Håndholdte", "Handhelds"),
    "devices_intro": ("Hvad registret ved om hver håndholdt. Rækker med noget at se på er markeret.",
                      "What the register knows about each handheld. Rows with something to look at are marked."),
    "last_sync": ("Sidste synk.", "Last sync"),
    "by": ("af", "by"),
    "syncs": ("Synk.", "Syncs"),
    "seq_gaps": ("Huller i løbenumre", "Sequence gaps"),
    "pending": ("Ventende (meldt)", "Pending (reported)"),
    "resets": ("Lager nulstillet", "Store resets"),
    "quarantined": ("I karantæne", "Quarantined"),
    "rejected": ("Afviste", "Rejected"),
    "conflicts": ("Konflikter", "Conflicts"),
    "clock": ("Ur: repareret / ukendt", "Clock: repaired / unknown"),
    "mismatch": ("Score afviger", "Score mismatch"),
    "not_recorded": ("ikke registreret endnu", "not recorded yet"),
    "never": ("aldrig", "never"),
    "no_devices": ("Ingen håndholdte er tilmeldt.", "No handhelds are enrolled."),
    "messages_title": ("FHIR-beskeder uden kvittering", "FHIR messages without an acknowledgement"),
    "messages_intro": ("MedCom-beskeder til egen læge, der ikke er kvitteret i tide eller er afvist. "
                       "`tobs fhir outbox` på pc'en viser dem med patient.",
                       "MedCom messages to the GP not acknowledged in time, or refused. `tobs fhir outbox` on the "
                       "PC shows them with the patient."),
    "sent": ("Sendt", "Sent"),
    "receiver": ("Modtager (SOR)", "Receiver (SOR)"),
    "activity": ("Aktivitet", "Activity"),
    "status": ("Status", "Status"),
    "message": ("Besked", "Message"),
    "no_ack": ("ingen kvittering", "no acknowledgement"),
    "site": ("Enhed", "Site"),
    "change_password": ("Skift adgangskode", "Change password"),
    "current_password": ("Nuværende adgangskode", "Current password"),
    "new_password": ("Ny adgangskode (mindst 10 tegn)", "New password (at least 10 characters)"),
    "password_changed": ("Adgangskoden er skiftet.", "The password has been changed."),
    "password_wrong": ("Den nuværende adgangskode er forkert.", "The current password is wrong."),
    "password_short": ("Den nye adgangskode er for kort.", "The new password is too short."),
    "role": ("Rolle", "Role"),
    "role_nurse": ("Plejepersonale", "Nurse"),
    "role_leader": ("Leder", "Leader"),
    "role_region": ("Region", "Region"),
    "role_admin": ("Administrator", "Administrator"),
    "report_title": ("Kvalitetsrapport – %s", "Quality report – %s"),
    "report_made": ("Lavet fra registret %s for %s til %s.", "Made from the register %s for %s to %s."),
}


def t(lang: str, key: str, *args) -> str:
    da, en = WORDS[key]
    text = en if lang == "en" else da
    return text % args if args else text


def local(moment: datetime | None, with_date: bool = True) -> str:
    if moment is None:
        return ""
    shown = moment.astimezone(LOCAL)
    return shown.strftime("%d-%m-%Y %H:%M" if with_date else "%H:%M")


def since(moment: datetime, now: datetime, lang: str) -> str:
    """'2 t 5 min' / '2 h 5 min'; whole days past 48 hours."""
    minutes = max(0, int((now - moment) / timedelta(minutes=1)))
    hour = "t" if lang == "da" else "h"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} {hour} {minutes % 60} min"
    return ("%d dage" if lang == "da" else "%d days") % (minutes // 1440)


def number(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return text.replace(".", ",") if lang == "da" else text
