"""The decision ledger over REST: JSON pages with a cursor, and the whole of it as CSV."""

import csv
import io

import pytest
from flask import Flask

from tests.api.conftest import Api, assert_problem
from tests.services.support import World

A1 = "00000000-0000-4000-8000-0000000000a1"
COLUMNS = ["seq", "event_id", "participant_id", "purpose", "state", "notice_version",
           "notice_hash", "language", "channel", "recorded_at", "prev_hash", "hash"]


@pytest.fixture
def ledger_call(app: Flask, api: Api) -> dict:
    """A call with seven ledger events from two participants: their joins' notice_served
    events, then five choices."""
    call = api.call()
    world = World(app.extensions["widget_db"])
    ann = world.join(call["id"], {"display_name": "Ann"}, language="en")
    bob = world.join(call["id"], {"display_name": "Bob"}, language="de")
    ann_id, bob_id = ann["participant"]["id"], bob["participant"]["id"]
    world.decide(call["id"], ann_id, event_id=A1,
                 choices={"recording": "granted", "attendance": "objected"})
    world.decide(call["id"], bob_id, choices={"recording": "denied"})
    world.decide(call["id"], ann_id, choices={"notes_email": "granted"},
                 fields={"email": "ann@example.org"})
    world.decide(call["id"], ann_id, choices={"recording": "withdrawn"})
    return call | {"ann": ann_id, "bob": bob_id}


def test_the_ledger_is_one_page_by_default(api: Api, ledger_call: dict) -> None:
    page = api.get(f"/api/v1/calls/{ledger_call['id']}/decisions").get_json()
    assert page["next"] is None
    items = page["items"]
    assert [i["seq"] for i in items] == [1, 2, 3, 4, 5, 6, 7]
    assert all(set(i) == set(COLUMNS) for i in items)
    assert [(i["participant_id"], i["purpose"], i["state"]) for i in items] == [
        (ledger_call["ann"], None, "notice_served"),
        (ledger_call["bob"], None, "notice_served"),
        (ledger_call["ann"], "recording", "granted"),
        (ledger_call["ann"], "attendance", "objected"),
        (ledger_call["bob"], "recording", "denied"),
        (ledger_call["ann"], "notes_email", "granted"),
        (ledger_call["ann"], "recording", "withdrawn"),
    ]
    assert [i["language"] for i in items] == ["en", "de", "en", "en", "de", "en", "en"]
    assert items[2]["event_id"] == items[3]["event_id"] == A1
    assert all(i["notice_version"] == 1 and i["notice_hash"] == ledger_call["notice"][
        "content_hash"] for i in items)
    assert [i["prev_hash"] for i in items[1:]] == [i["hash"] for i in items[:-1]]
    # Pseudonymous: no personal data in the proof.
    text = api.get(f"/api/v1/calls/{ledger_call['id']}/decisions").get_data(as_text=True)
    assert "Ann" not in text and "ann@example.org" not in text


def test_pages_follow_the_next_cursor(api: Api, ledger_call: dict) -> None:
    path = f"/api/v1/calls/{ledger_call['id']}/decisions"
    seen, after, pages = [], 0, 0
    while True:
        page = api.get(f"{path}?after={after}&limit=2").get_json()
        seen += [i["seq"] for i in page["items"]]
        pages += 1
        if page["next"] is None:
            break
        assert isinstance(page["next"], str)
        after = page["next"]
    assert seen == [1, 2, 3, 4, 5, 6, 7] and pages == 4
    assert api.get(f"{path}?after=7").get_json() == {"items": [], "next": None}
    assert api.get(f"{path}?after=6&limit=1").get_json()["next"] is None


def test_an_empty_ledger_is_an_empty_page(api: Api) -> None:
    call = api.call()
    page = api.get(f"/api/v1/calls/{call['id']}/decisions").get_json()
    assert page == {"items": [], "next": None}
    response = api.get(f"/api/v1/calls/{call['id']}/decisions?format=csv")
    assert response.get_data(as_text=True) == ",".join(COLUMNS) + "\r\n"


def test_csv_streams_a_header_and_one_line_per_event(api: Api, ledger_call: dict) -> None:
    path = f"/api/v1/calls/{ledger_call['id']}/decisions"
    response = api.get(f"{path}?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == COLUMNS
    assert len(rows) == 1 + 7
    items = api.get(path).get_json()["items"]
    # a null (the purpose of a notice_served event) is an empty CSV field
    assert rows[1:] == [["" if i[c] is None else str(i[c]) for c in COLUMNS] for i in items]
    assert [r[3:5] for r in rows[1:3]] == [["", "notice_served"]] * 2


@pytest.mark.parametrize("query", ["format=xml", "limit=0", "limit=1001", "after=-1",
                                   "after=x", "limit=2.5", "cursor=3"])
def test_bad_paging_arguments_are_refused(api: Api, query: str) -> None:
    call = api.call()
    body = assert_problem(api.get(f"/api/v1/calls/{call['id']}/decisions?{query}"), 422)
    assert query.split("=")[0] in body["errors"]
