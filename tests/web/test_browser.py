"""The web view in a real browser: Debian's Chromium, headless, driven by Playwright, against `tobs serve` over a
register that holds the demo's shift (synced from the virtual handheld by `tobs demo`) and a seeded site whose
run chart must signal. Screenshots of every page are left in run/web/."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest
from tools_support import ROOT, tool
from web_support import FIRST, LAST, PASSWORD, SEEDED_DEVICE, seeded_records, store

from tobs.register.audit import entries_for_patient
from tobs.register.db import open_register
from tobs.register.queries import set_patient_identity
from tobs.web import accounts

CHROMIUM = os.environ.get("TOBS_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "run" / "web"
LAUNCH_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`tobs demo` into a fresh register, accounts and a seeded site added, then `tobs serve` on a free port."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'register.sqlite3'}"
    demo = subprocess.run([tool("tobs"), "demo", "--run-dir", str(folder / "demo"), "--db", url],
                          capture_output=True, text=True, timeout=300, env={"COLUMNS": "160", "PATH": ""})
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "tobs serve" in demo.stdout  # the demo says how to look at what it synced
    register = open_register(url, announce=None)
    store(register, SEEDED_DEVICE, "seeded", seeded_records(), "Seeded Plejecenter")
    set_patient_identity(register, "demo", 102, name="Else Jensen", cpr="010150-1234")
    accounts.add_user(register, "sygeplejerske", PASSWORD, "nurse", "demo", full_name="Sara Sygeplejerske")
    accounts.add_user(register, "leder", PASSWORD, "leader", "seeded", full_name="Lene Leder")
    accounts.add_user(register, "region", PASSWORD, "region", full_name="Rita Region")
    register.close()
    port = _free_port()
    server = subprocess.Popen([tool("tobs"), "serve", "--db", url, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("tobs serve did not start: " + (server.stdout.read() if server.stdout else ""))
            time.sleep(0.2)
    yield base, url
    server.terminate()
    server.wait(20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_FLAGS)
        yield launched
        launched.close()


def _page(browser, width=1280, height=900):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="da-DK")
    return context, context.new_page()


def _login(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _shot(page, name):
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000


def test_login_and_the_ward_board_shows_the_demo_shift(served, browser):
    base, url = served
    context, page = _page(browser)
    page.goto(base + "/")
    assert "/login" in page.url
    _shot(page, "01-login")
    _login(page, base, "sygeplejerske")
    assert page.url.endswith("/site/demo/board")
    rows = page.locator("table.board tbody tr")
    assert rows.count() == 4
    shown = {int(p) for p in page.locator("table.board tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.patient)")}
    assert shown == {101, 102, 103, 104}
    assert page.locator("tr[data-patient='104'] .score").inner_text() == "12"
    assert page.locator("text=Else Jensen").count() == 1
    _shot(page, "02-ward-board")
    tablet = browser.new_context(viewport={"width": 800, "height": 1200}, locale="da-DK",
                                 storage_state=context.storage_state())
    tablet_page = tablet.new_page()
    tablet_page.goto(base + "/site/demo/board")
    _shot(tablet_page, "02b-ward-board-tablet")
    tablet.close()
    context.close()


def test_a_patients_trend_renders_and_each_view_is_audited(served, browser):
    base, url = served
    context, page = _page(browser)
    _login(page, base, "sygeplejerske")
    register = open_register(url, announce=None)
    before = len([e for e in entries_for_patient(register, 102, "demo") if e.what == "patient_page"])
    page.click("tr[data-patient='102'] a")
    page.wait_for_load_state()
    assert page.url.endswith("/site/demo/patient/102")
    charts = page.locator("figure.trend svg")
    assert charts.count() == 6
    assert charts.first.bounding_box()["height"] > 100  # drawn, not an empty box
    assert page.locator("text=010150-1234").count() == 1
    _shot(page, "03-patient")
    page.reload()
    after = [e for e in entries_for_patient(register, 102, "demo") if e.what == "patient_page"]
    assert len(after) == before + 2 and after[-1].username == "sygeplejerske"
    register.close()
    context.close()


def test_a_nurse_of_one_site_gets_403_on_another(served, browser):
    base, _ = served
    context, page = _page(browser)
    _login(page, base, "sygeplejerske")
    for path in ("/site/seeded/board", "/site/seeded/patient/100", "/site/seeded/quality"):
        response = page.goto(base + path)
        assert response.status == 403, path
    _shot(page, "04-forbidden")
    context.close()


def test_the_seeded_run_chart_shows_its_signal(served, browser):
    base, _ = served
    context, page = _page(browser)
    _login(page, base, "leder")
    page.goto(f"{base}/site/seeded/quality?unit=week&first={FIRST}&last={LAST}")
    documented = page.locator("section[data-measure='documented']")
    assert "signal" in documented.get_attribute("class")
    assert "Signal: usædvanligt langt forløb" in documented.inner_text()
    assert documented.locator("svg [id$='long-run']").count() == 1
    assert documented.locator("svg [id$='centre-signal']").count() == 1
    _shot(page, "05-quality")
    page.goto(base + "/devices")
    assert page.locator("table.devices tbody tr").count() == 1
    _shot(page, "06-devices")
    context.close()


def test_region_sees_sites_side_by_side(served, browser):
    base, _ = served
    context, page = _page(browser, 1400, 900)
    _login(page, base, "region")
    assert page.url.endswith("/sites")
    _shot(page, "07-sites")
    page.goto(f"{base}/quality?measure=documented&unit=week&first={FIRST}&last={LAST}")
    assert page.locator("section.multiple").count() == 2
    assert page.locator("section.multiple.signal").count() == 1
    _shot(page, "08-sites-side-by-side")
    page.goto(base + "/devices")
    assert page.locator("table.devices tbody tr").count() == 2
    context.close()


def test_a_form_without_its_csrf_token_is_refused(served, browser):
    base, _ = served
    context, page = _page(browser)
    _login(page, base, "sygeplejerske")
    page.goto(base + "/account")
    _shot(page, "09-account")
    page.evaluate("document.querySelector('form.stack input[name=csrf]').remove()")
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", "et-helt-nyt-kodeord")
    with page.expect_response(lambda r: r.url.endswith("/account/password")) as answer:
        page.click("form.stack button[type=submit]")
    assert answer.value.status == 403
    _shot(page, "10-csrf-refused")
    page.goto(base + "/site/demo/board")  # the password did not change and the session goes on
    assert page.url.endswith("/site/demo/board")
    context.close()


def test_english_pages(served, browser):
    base, _ = served
    context, page = _page(browser)
    _login(page, base, "sygeplejerske")
    page.goto(base + "/site/demo/board?lang=en")
    assert page.locator("h1").inner_text().startswith("Ward board")
    _shot(page, "11-ward-board-en")
    context.close()

