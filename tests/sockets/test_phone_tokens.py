"""A telephony grant token (CONTRACT §E) opens the phone bridge's REST surface and nothing
else: the widget's and the hosts' namespaces refuse it."""

from typing import Any

import pytest
from flask import Flask

from tests.conftest import SECRET, lecture_notice
from widget_server.realtime import socketio
from widget_server.services import calls, grants, notices, organisations


@pytest.fixture
def telephony(app: Flask) -> dict[str, Any]:
    db = app.extensions["widget_db"]
    with db.session() as s:
        org, _ = organisations.create_organisation(s, "Org", ["https://meet.example.org"])
    with db.session() as s:
        notice = notices.publish_notice(s, org, lecture_notice())
    with db.session() as s:
        call = calls.open_call(s, org, SECRET, title="T", notice_id=notice["id"])
    with db.session() as s:
        grant = grants.create_grant(s, org, call["id"], name="Bridge", purpose=None,
                                    role=grants.TELEPHONY)
    return {"call_id": call["id"], "token": grant["token"]}


@pytest.mark.parametrize("namespace", ["/participant", "/host"])
def test_a_telephony_token_opens_no_namespace(app: Flask, telephony: dict[str, Any],
                                              namespace: str) -> None:
    for auth in ({"token": telephony["token"]},
                 {"token": telephony["token"], "call": telephony["call_id"]}):
        client = socketio.test_client(app, namespace=namespace, auth=auth)
        assert not client.is_connected(namespace)
