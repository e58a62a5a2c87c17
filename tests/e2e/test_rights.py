"""Rights after the call through a real server (CONTRACT §C): a participant of a live call
erases their data and the host sees a pseudonym at once; after the end the manage secret
withdraws (channel manage), a grant is refused, the export downloads; and the secret, sent in
a query by a careless client, is refused and reaches no log line."""

import time
import uuid

import requests

from tests.conftest import lecture_notice
from tests.e2e.harness import Host, Org, Participant, Server

CANARY_NAME = "Zebulon Quincewhistle"
CANARY_EMAIL = "canary.zq@example.org"


def manage(resume: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Participant {resume}"
    return session


def test_erasure_in_a_live_call_reaches_the_host_as_a_pseudonym(server: Server,
                                                                org: Org) -> None:
    call = org.open_call(lecture_notice())
    host = Host(server.url, call["host"]["token"])
    person = Participant(server.url, call["widget"]["token"])
    try:
        person.join({"display_name": CANARY_NAME})
        assert person.resume is not None
        host.wait_for(lambda: any(u["kind"] == "joined" for u in host.updates))
        response = manage(person.resume).delete(f"{server.url}/api/v1/me", timeout=10)
        assert response.status_code == 200 and response.json()["recorded"] is True
        host.wait_for(lambda: any(u["kind"] == "erased" for u in host.updates))
        erased = next(u for u in host.updates if u["kind"] == "erased")
        assert erased["participant"]["id"] == person.id
        assert erased["participant"]["label"].startswith("Participant ")
        assert CANARY_NAME not in str(erased)
        assert [u["seq"] for u in host.updates] == list(
            range(host.updates[0]["seq"], host.updates[-1]["seq"] + 1))
    finally:
        person.close()
        host.close()


def test_after_the_end_the_manage_secret_withdraws_and_never_reaches_the_log(
        server: Server, org: Org) -> None:
    call = org.open_call(lecture_notice())
    person = Participant(server.url, call["widget"]["token"])
    try:
        person.join({"display_name": CANARY_NAME})
        assert person.decide({"notes_email": "granted"}, {"email": CANARY_EMAIL})["ok"]
    finally:
        person.close()
    assert person.resume is not None and person.id is not None
    secret = person.resume.split(".", 1)[1]
    org.post(f"/api/v1/calls/{call['id']}/end")
    me = manage(person.resume)
    base = f"{server.url}/api/v1/me"

    withdrawn = me.post(f"{base}/decisions", json={
        "event_id": str(uuid.uuid4()), "choices": {"notes_email": "withdrawn"}}, timeout=10)
    assert withdrawn.status_code == 200, withdrawn.text
    refused = me.post(f"{base}/decisions", json={
        "event_id": str(uuid.uuid4()), "choices": {"recording": "granted"}}, timeout=10)
    assert refused.status_code == 409 and refused.json()["code"] == "call_ended"
    export = me.get(f"{base}/export", timeout=10)
    assert export.status_code == 200
    assert export.headers["Content-Disposition"].startswith("attachment;")
    document = export.json()
    assert document["fields"] == {"display_name": CANARY_NAME}
    assert document["events"][-1]["channel"] == "manage"
    # A careless client: the secret in the query is refused, with or without the header.
    for session in (me, requests.Session()):
        careless = session.get(f"{base}?key={secret}", timeout=10)
        assert careless.status_code == 400 and secret not in careless.text
    wrong = requests.get(base, headers={"Authorization": f"Participant {person.id}.x{secret}"},
                         timeout=10)
    assert wrong.status_code == 401
    time.sleep(0.3)  # the access log line of the last request
    log = server.log()
    for value in (secret, person.resume, CANARY_NAME, CANARY_EMAIL):
        assert value not in log
    assert '"path": "/api/v1/me"' in log
