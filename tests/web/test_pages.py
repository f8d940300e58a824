"""The web view through FastAPI's test client: roles, the audit log, CSRF, throttling, idle timeout, and the
pages' content."""

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from web_support import PASSWORD, login

from tobs.register.audit import entries_for_patient
from tobs.register.models import AuditEntry, WebSession


def test_pages_need_a_login(client):
    response = client.get("/site/site-a/board", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_nurse_sees_the_board_of_her_site_with_the_patient_needing_action_first(client, filled):
    assert login(client, "nurse-a").status_code == 303
    page = client.get("/site/site-a/board")
    assert page.status_code == 200
    patients = re.findall(r'data-patient="(\d+)"', page.text)
    assert patients[0] == "103"  # raised score, no action documented
    assert sorted(patients) == ["101", "102", "103", "104"]
    assert "MANGLER" in page.text and "Else Jensen" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert {e.patient_number for e in _audit(filled) if e.what == "ward_board"} == {101, 102, 103, 104}


def test_a_nurse_of_site_a_is_refused_site_b(client, filled):
    login(client, "nurse-a")
    assert client.get("/site/site-b/board").status_code == 403
    assert client.get("/site/site-b/patient/201").status_code == 403
    assert client.get("/site/site-a/quality").status_code == 403  # quality pages are for leaders
    assert not [e for e in _audit(filled) if e.site_code == "site-b"]


def test_each_patient_view_writes_an_audit_row(client, filled):
    login(client, "nurse-a")
    for _ in range(2):
        page = client.get("/site/site-a/patient/102")
        assert page.status_code == 200 and "Else Jensen" in page.text and "010150-1234" in page.text
        assert page.text.count("<svg") == 6  # total, four vitals, awareness
    rows = entries_for_patient(filled, 102, "site-a")
    views = [r for r in rows if r.what == "patient_page"]
    assert len(views) == 2 and all(r.username == "nurse-a" and r.identity_shown for r in views)


def test_admin_sees_patients_without_name_or_cpr_and_that_is_audited_too(client, filled):
    login(client, "admin")
    page = client.get("/site/site-a/patient/102")
    assert page.status_code == 200 and "Else Jensen" not in page.text and "010150" not in page.text
    assert [r.identity_shown for r in entries_for_patient(filled, 102) if r.what == "patient_page"] == [False]


def test_region_sees_quality_of_every_site_but_no_patients(client):
    login(client, "region")
    assert client.get("/site/site-b/quality").status_code == 200
    assert client.get("/quality?measure=sets").status_code == 200
    assert client.get("/devices").status_code == 200
    assert client.get("/site/site-a/board").status_code == 403


def test_the_leader_sees_the_quality_page_with_four_run_charts(client):
    login(client, "leader-a")
    page = client.get("/site/site-a/quality?unit=week")
    assert page.status_code == 200
    assert page.text.count('data-measure=') == 4
    assert client.get("/site/site-b/quality").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(client):
    login(client, "nurse-a")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/account/password", data={"current_password": PASSWORD, "new_password": "x" * 12}
                       ).status_code == 403
    assert client.get("/site/site-a/board").status_code == 200  # still logged in
    client.cookies.delete("tobs_login")
    refused = client.post("/login", data={"username": "nurse-a", "password": PASSWORD, "csrf": "guess"},
                          follow_redirects=False)
    assert refused.status_code == 403


def test_logins_are_throttled_after_five_failures(client):
    for _ in range(5):
        assert login(client, "nurse-a", "wrong-password").status_code == 401
    refused = login(client, "nurse-a")  # the right password, too late
    assert refused.status_code == 429 and "For mange" in refused.text


def test_an_idle_session_ends(client, filled):
    login(client, "nurse-a")
    assert client.get("/site/site-a/board").status_code == 200
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    filled.run_write(lambda s: s.execute(update(WebSession).values(last_seen_at=long_ago)))
    response = client.get("/site/site-a/board", follow_redirects=False)
    assert response.status_code == 303 and "idle=1" in response.headers["location"]


def test_english_on_request(client):
    login(client, "nurse-a")
    page = client.get("/site/site-a/board?lang=en")
    assert "Ward board" in page.text and "MISSING" in page.text
    assert "Ward board" in client.get("/site/site-a/board").text  # remembered


def test_devices_page_shows_what_the_register_knows(client):
    login(client, "leader-a")
    page = client.get("/devices")
    assert "e6614103e7452d2f" in page.text and "e66141040b1c2a31" not in page.text
    assert "ikke registreret endnu" in page.text and "–*" in page.text


def _audit(register):
    with register.read() as session:
        return list(session.scalars(select(AuditEntry)))


def test_devices_page_lists_messages_without_an_acknowledgement_without_naming_the_patient(client, filled, tmp_path):
    import json as json_module

    from tobs.exchange import outbox, parties

    parties.add(filled, {
        "site": "site-a", "phone": "+45 87 12 34 56",
        "sender": {"name": "Plejecenter A", "sor": "1144561000016002", "ean": "5790000123117", "producent_id": "KAF"},
        "staff": {"1001": {"name": "Nina Nurse"}},
        "gps": [{"name": "Lægehuset", "sor": "52581000016005", "ean": "5790000127092", "ydernummer": "061654"}],
        "ack_within_min": 60,
    })
    old = outbox.send_new(filled, tmp_path / "outbox", site="site-a", patient=102, receiver_sor="52581000016005",
                          chosen=None, now=datetime.now(timezone.utc) - timedelta(hours=2))
    fresh = outbox.send_new(filled, tmp_path / "outbox", site="site-a", patient=102,
                            receiver_sor="52581000016005", chosen=None)
    login(client, "leader-a")
    page = client.get("/devices")
    assert "FHIR-beskeder uden kvittering" in page.text and old.bundle_id in page.text
    assert fresh.bundle_id not in page.text  # still within the site's 60 minutes
    assert "Else Jensen" not in page.text and "010150" not in page.text
    ack = tmp_path / "ack.json"
    ack.write_text(json_module.dumps({"resourceType": "Bundle", "type": "message", "entry": [{"resource": {
        "resourceType": "MessageHeader", "id": "x", "eventCoding": {"code": "acknowledgement-message"},
        "response": {"identifier": old.header_id, "code": "ok"}}}]}), encoding="utf-8")
    outbox.acknowledge(filled, ack)
    assert old.bundle_id not in client.get("/devices").text
