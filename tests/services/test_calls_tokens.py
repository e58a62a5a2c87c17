"""Calls and their tokens: a token reaches one call in one role, for as long as the call allows."""

import base64
from datetime import timedelta

import pytest

from tests.conftest import SECRET
from tests.services.support import Lecture, World
from widget_server.domain import tokens
from widget_server.domain.errors import (
    CallEnded,
    InvalidToken,
    NotFound,
    TokenExpired,
    Unauthorized,
    WrongRole,
)
from widget_server.domain.models import CallUpdate, Participant
from widget_server.services import calls


def test_a_widget_token_admits_only_a_participant_of_its_own_call(
        world: World, lecture: Lecture) -> None:
    other = world.open_call(lecture.org_id, lecture.notice["id"], title="Other lecture")
    assert world.admit(lecture.widget_token, tokens.WIDGET) == lecture.call_id
    assert world.admit(other["widget_token"], tokens.WIDGET) == other["id"] != lecture.call_id
    with pytest.raises(WrongRole):
        world.admit(lecture.widget_token, tokens.HOST)


def test_a_host_token_admits_only_a_host_of_its_own_call(world: World, lecture: Lecture) -> None:
    assert world.admit(lecture.host_token, tokens.HOST) == lecture.call_id
    with pytest.raises(WrongRole):
        world.admit(lecture.host_token, tokens.WIDGET)
    assert issubclass(WrongRole, Unauthorized)


def _flip(char: str) -> str:
    return "B" if char != "B" else "C"


def test_a_tampered_token_is_invalid(world: World, lecture: Lecture) -> None:
    other = world.open_call(lecture.org_id, lecture.notice["id"], title="Other lecture")
    payload, signature = lecture.widget_token.rsplit(".", 1)
    other_payload = other["widget_token"].rsplit(".", 1)[0]
    # The payload is base64 JSON: rewrite its role from widget to host and keep the signature.
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b'"widget"' in raw
    as_host = base64.urlsafe_b64encode(raw.replace(b'"widget"', b'"host"')).rstrip(b"=").decode()
    middle = len(signature) // 2
    forged = [
        f"{other_payload}.{signature}",                                  # another call's claim
        f"{as_host}.{signature}",                                        # another role's claim
        f"{payload}.{signature[:middle]}{_flip(signature[middle])}{signature[middle + 1:]}",
        payload,                                                         # signature dropped
        "",
        "not-a-token",
        "x" * 600,
        None,
        42,
    ]
    for token in forged:
        with pytest.raises(InvalidToken):
            world.admit(token, tokens.WIDGET)
        with pytest.raises(InvalidToken):
            world.admit(token, tokens.HOST)


def test_a_token_signed_with_another_key_is_invalid(world: World, lecture: Lecture) -> None:
    foreign = tokens.issue("another-server-secret-key-0123456789abcdef", lecture.call_id,
                           tokens.WIDGET)
    with pytest.raises(InvalidToken):
        world.admit(foreign, tokens.WIDGET)
    # and the call's own token is refused by a server with another key
    with pytest.raises(InvalidToken):
        world.admit(lecture.widget_token, tokens.WIDGET, key="another-key-" + "y" * 32)


def test_a_genuine_token_for_a_call_that_does_not_exist_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.admit(tokens.issue(SECRET, "call_doesnotexist", tokens.WIDGET), tokens.WIDGET)


def test_a_widget_token_stops_when_the_call_ends(world: World, lecture: Lecture) -> None:
    ended_at = lecture.end()["call"]["ended_at"]
    with pytest.raises(CallEnded):
        world.admit(lecture.widget_token, tokens.WIDGET, now=ended_at + timedelta(seconds=1))
    with pytest.raises(CallEnded):
        world.admit(lecture.widget_token, tokens.WIDGET)


def test_a_host_token_works_for_a_day_after_the_end_and_not_longer(
        world: World, lecture: Lecture) -> None:
    ended_at = lecture.end()["call"]["ended_at"]
    assert world.admit(lecture.host_token, tokens.HOST,
                       now=ended_at + timedelta(hours=23, minutes=59)) == lecture.call_id
    with pytest.raises(TokenExpired):
        world.admit(lecture.host_token, tokens.HOST, now=ended_at + timedelta(hours=24, seconds=1))
    with pytest.raises(TokenExpired):
        world.admit(lecture.host_token, tokens.HOST, now=ended_at + timedelta(days=30))


def test_ending_a_call_twice_changes_nothing(world: World, lecture: Lecture) -> None:
    first = lecture.end()
    assert first["call"]["status"] == "ended" and first["update"]["kind"] == "call_ended"
    updates = world.count(CallUpdate)
    second = lecture.end()
    assert second["update"] is None
    assert second["call"]["ended_at"] == first["call"]["ended_at"]
    assert world.count(CallUpdate) == updates


def test_nobody_can_join_an_ended_call_and_nothing_is_stored(world: World,
                                                             lecture: Lecture) -> None:
    lecture.end()
    before = world.footprint()
    with pytest.raises(CallEnded):
        lecture.join("Late Comer")
    assert world.footprint() == before
    assert world.count(Participant) == 0


def test_another_organisations_call_is_not_found_and_not_ended(world: World,
                                                               lecture: Lecture) -> None:
    other_org, _ = world.organisation("Other College", ("https://other.example",))
    with pytest.raises(NotFound):
        world.get_call(other_org, lecture.call_id)
    with pytest.raises(NotFound):
        world.end_call(other_org, lecture.call_id)
    assert world.get_call(lecture.org_id, lecture.call_id)["status"] == "open"
    with world.db.read_session() as s:
        assert calls.list_calls(s, other_org) == []
        assert [c["id"] for c in calls.list_calls(s, lecture.org_id)] == [lecture.call_id]


def test_a_call_resource_carries_summary_and_gate(world: World, lecture: Lecture) -> None:
    view = world.get_call(lecture.org_id, lecture.call_id)
    assert view["status"] == "open"
    assert view["summary"] == {"present": 0, "purposes": {}}
    assert view["gate"] == {"recording_allowed": False, "blocking": 0}
    lecture.join()
    view = world.get_call(lecture.org_id, lecture.call_id)
    assert view["summary"]["present"] == 1
    assert view["summary"]["purposes"]["recording"] == {"pending": 1}
    assert view["gate"] == {"recording_allowed": False, "blocking": 1}
