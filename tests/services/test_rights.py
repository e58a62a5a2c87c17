"""Rights after the call at the service level (CONTRACT §C): decisions by the manage link and
the API after the end (withdraw and object until retention has passed, never grant), erasure
on request, and the manage secret."""

from datetime import timedelta
from typing import Any

import pytest

from tests.services.support import CANARY_EMAIL, CANARY_NAME, Lecture, World, new_event_id
from widget_server.domain import ids
from widget_server.domain.errors import (
    CallEnded,
    InvalidState,
    RetentionPassed,
    Unauthorized,
    UnexpectedField,
)
from widget_server.domain.ids import utcnow
from widget_server.domain.ledger import ERASED
from widget_server.domain.models import DecisionEvent
from widget_server.services import live, participant_access
from widget_server.services.participant_access import Identity

LONGEST_RETENTION = 365  # attendance, in the lecture notice


def joined(lecture: Lecture, name: str = CANARY_NAME) -> tuple[str, str]:
    """A participant who joined and granted the notes by email: (id, resume secret)."""
    world = lecture.world
    answer = world.join(lecture.call_id, {"display_name": name})
    pid = answer["participant"]["id"]
    lecture.decide(pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL})
    return pid, answer["participant"]["resume"]


def erase(world: World, call_id: str, pid: str, channel: str = "manage") -> dict[str, Any]:
    with world.db.session() as s:
        return world.run(s, live.Erase(call_id, pid, channel))


def ended_days_ago(world: World, call_id: str, days: float) -> None:
    """Move the call's end into the past (retention counts from it)."""
    world.sql("UPDATE call SET ended_at = :at WHERE id = :id",
              at=(utcnow() - timedelta(days=days)).replace(tzinfo=None), id=call_id)


# --- decisions after the end ----------------------------------------------------------------


@pytest.mark.parametrize("channel", ["manage", "api"])
def test_a_withdrawal_after_the_end_is_recorded_and_erases_what_it_freed(
        world: World, lecture: Lecture, channel: str) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    answer = lecture.decide(pid, {"notes_email": "withdrawn"}, channel=channel)
    assert answer["state"]["notes_email"] == "withdrawn"
    assert answer["held"] == ["display_name"]
    assert world.participant(pid).email is None
    last = world.events(lecture.call_id)[-1]
    assert (last.purpose, last.state, last.channel) == ("notes_email", "withdrawn", channel)
    assert world.verify().ok


def test_an_objection_after_the_end_erases_the_name_only_it_needed(world: World,
                                                                  lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    answer = lecture.decide(pid, {"attendance": "objected", "notes_email": "withdrawn"},
                            channel="manage")
    assert answer["held"] == []
    row = world.participant(pid)
    assert row.display_name is None and row.email is None


@pytest.mark.parametrize("choices", [
    {"recording": "granted"}, {"attendance": "not_objected"},
    {"notes_email": "withdrawn", "recording": "granted"}])
def test_turning_anything_on_after_the_end_is_refused_and_stores_nothing(
        world: World, lecture: Lecture, choices: dict[str, str]) -> None:
    pid, _ = joined(lecture)
    if "attendance" in choices:
        lecture.decide(pid, {"attendance": "objected"})
    lecture.end()
    before = world.footprint()
    with pytest.raises(CallEnded) as caught:
        lecture.decide(pid, choices, channel="manage")
    assert caught.value.status == 409
    assert set(caught.value.fields) == {k for k, v in choices.items() if v != "withdrawn"}
    assert world.footprint() == before


def test_the_widget_cannot_decide_after_the_end(world: World, lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    before = world.footprint()
    with pytest.raises(CallEnded):
        lecture.decide(pid, {"notes_email": "withdrawn"})
    assert world.footprint() == before


def test_a_denial_after_the_end_is_a_refusal_and_is_taken(world: World,
                                                          lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    assert lecture.decide(pid, {"recording": "denied"}, channel="manage")["state"][
        "recording"] == "denied"


def test_fields_after_the_end_are_refused(world: World, lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    before = world.footprint()
    with pytest.raises(UnexpectedField):
        lecture.decide(pid, {"notes_email": "withdrawn"}, fields={"email": "x@example.org"},
                       channel="manage")
    assert world.footprint() == before


def test_a_withdrawal_of_nothing_granted_is_invalid_after_the_end_too(
        world: World, lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    with pytest.raises(InvalidState):
        lecture.decide(pid, {"recording": "withdrawn"}, channel="manage")


def test_decisions_work_until_the_longest_retention_and_not_after(world: World,
                                                                  lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    ended_days_ago(world, lecture.call_id, LONGEST_RETENTION - 1)
    lecture.decide(pid, {"notes_email": "withdrawn"}, channel="manage")
    ended_days_ago(world, lecture.call_id, LONGEST_RETENTION + 0.01)
    before = world.footprint()
    with pytest.raises(RetentionPassed) as caught:
        lecture.decide(pid, {"attendance": "objected"}, channel="manage")
    assert caught.value.code == "retention_passed" and caught.value.status == 409
    assert "retention" in caught.value.message
    assert world.footprint() == before


def test_a_retry_after_the_end_returns_the_first_answer(world: World, lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    event_id = new_event_id()
    first = lecture.decide(pid, {"notes_email": "withdrawn"}, channel="manage",
                           event_id=event_id)
    count = world.count(DecisionEvent)
    again = lecture.decide(pid, {"notes_email": "withdrawn"}, channel="manage",
                           event_id=event_id)
    assert again["receipt"] == first["receipt"]
    assert world.count(DecisionEvent) == count
    # Even once retention has passed, a retry gets its answer (nothing new is decided).
    ended_days_ago(world, lecture.call_id, LONGEST_RETENTION + 1)
    assert lecture.decide(pid, {"notes_email": "withdrawn"}, channel="manage",
                          event_id=event_id)["receipt"] == first["receipt"]


def test_the_manage_channel_may_grant_while_the_call_is_open(world: World,
                                                             lecture: Lecture) -> None:
    pid = lecture.join()
    answer = lecture.decide(pid, {"notes_email": "granted"}, fields={"email": CANARY_EMAIL},
                            channel="manage")
    assert answer["held"] == ["display_name", "email"]


# --- erasure --------------------------------------------------------------------------------


def test_erasure_erases_every_field_and_is_recorded_once(world: World, lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.decide(pid, {"recording": "granted"})
    first = erase(world, lecture.call_id, pid)
    assert first["erased"] == ["display_name", "email"] and first["recorded"] is True
    row = world.participant(pid)
    assert (row.display_name, row.email, row.phone) == (None, None, None)
    # Choices stand as recorded: only the data went.
    assert world.states(pid)["recording"] == "granted"
    last = world.events(lecture.call_id)[-1]
    assert (last.purpose, last.state, last.channel, last.participant_id) == (
        None, ERASED, "manage", pid)
    assert first["ledger"] == {"seq": last.seq, "hash": last.hash}
    before = world.footprint()
    again = erase(world, lecture.call_id, pid)
    assert again == {"erased": [], "held": [], "recorded": False, "ledger": None,
                     "update": None}
    assert world.footprint() == before
    assert world.verify().ok


def test_a_first_erasure_is_recorded_even_with_nothing_held(world: World,
                                                            lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.decide(pid, {"attendance": "objected", "notes_email": "withdrawn"})
    assert world.participant(pid).display_name is None
    assert erase(world, lecture.call_id, pid)["recorded"] is True
    assert erase(world, lecture.call_id, pid)["recorded"] is False


def test_erasure_in_an_open_call_shows_hosts_a_pseudonym(world: World,
                                                         lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    assert lecture.labels()[pid] == CANARY_NAME
    outcome = erase(world, lecture.call_id, pid, "api")
    update = outcome["update"]
    assert update["kind"] == "erased"
    assert update["participant"]["label"] == "Participant 1"
    assert lecture.labels()[pid] == "Participant 1"
    replay = world.updates_since(lecture.call_id, 0)["updates"]
    assert replay[-1]["kind"] == "erased" and CANARY_NAME not in str(replay)


def test_erasure_after_the_end_and_after_retention_works(world: World,
                                                         lecture: Lecture) -> None:
    pid, _ = joined(lecture)
    lecture.end()
    ended_days_ago(world, lecture.call_id, LONGEST_RETENTION + 10)
    assert erase(world, lecture.call_id, pid)["erased"] == ["display_name", "email"]
    world.sign_checkpoints()
    assert world.verify().ok


def test_a_rejoin_after_erasure_may_give_the_name_again_and_erasing_again_records(
        world: World, lecture: Lecture) -> None:
    answer = world.join(lecture.call_id, {"display_name": "Ada"})
    pid, resume = answer["participant"]["id"], answer["participant"]["resume"]
    erase(world, lecture.call_id, pid)
    world.join(lecture.call_id, {"display_name": "Ada"}, resume=resume)
    assert erase(world, lecture.call_id, pid)["erased"] == ["display_name"]


# --- the manage secret ----------------------------------------------------------------------


def authenticate(world: World, header: str | None) -> Identity:
    with world.db.read_session() as s:
        return participant_access.authenticate(s, header)


def test_the_resume_secret_is_the_manage_secret(world: World, lecture: Lecture) -> None:
    pid, resume = joined(lecture)
    assert authenticate(world, f"Participant {resume}") == Identity(pid, lecture.call_id)
    assert authenticate(world, f"participant  {resume} ") == Identity(pid, lecture.call_id)


def refusals(lecture: Lecture) -> list[str | None]:
    a_id, a_resume = joined(lecture, "Ann")
    b_id, b_resume = joined(lecture, "Bob")
    a_secret, b_secret = a_resume.split(".", 1)[1], b_resume.split(".", 1)[1]
    return [None, "", "Participant", "Participant ", f"Bearer {a_resume}", a_resume,
            f"Participant {a_secret}", f"Participant {a_id}", f"Participant {a_id}.",
            f"Participant {a_resume[:-1]}", f"Participant {a_resume}x",
            f"Participant {a_id}.{b_secret}", f"Participant {b_id}.{a_secret}",
            f"Participant p_{'0' * 32}.{a_secret}", f"Participant ../etc.{a_secret}",
            f"Participant {a_id}.{a_secret.upper()}", f"Participant {a_resume}" + "x" * 300,
            f"Participant {a_id}.é{a_secret}"]


def test_every_refusal_is_the_same_and_costs_one_comparison(
        world: World, lecture: Lecture, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[str] = []
    real = ids.same_digest

    def counting(secret: str, expected: str) -> bool:
        compared.append(expected)
        return real(secret, expected)

    monkeypatch.setattr(participant_access, "same_digest", counting)
    messages = set()
    for header in refusals(lecture):
        compared.clear()
        with pytest.raises(Unauthorized) as caught:
            authenticate(world, header)
        assert type(caught.value) is Unauthorized, header
        messages.add((caught.value.code, caught.value.status, caught.value.message))
        assert len(compared) == 1, header  # hashed and compared, found or not
    assert messages == {("unauthorized", 401, participant_access.REFUSAL)}


def test_an_unknown_participant_costs_about_as_long_as_a_wrong_secret(
        world: World, lecture: Lecture) -> None:
    """No timing difference worth measuring between "nobody" and "wrong secret": the same
    query and the same hash either way. Interleaved, so both see the same machine load; the
    bound is loose (a shared CI machine), the difference it guards against is not."""
    import statistics
    import time

    pid, resume = joined(lecture)
    secret = resume.split(".", 1)[1]
    headers = {"wrong": f"Participant {pid}.{secret[:-1]}A",
               "nobody": f"Participant p_{'0' * 32}.{secret}"}
    took: dict[str, list[float]] = {name: [] for name in headers}
    with world.db.read_session() as s:
        for _ in range(300):
            for name, header in headers.items():
                started = time.perf_counter()
                with pytest.raises(Unauthorized):
                    participant_access.authenticate(s, header)
                took[name].append(time.perf_counter() - started)
    wrong, nobody = (statistics.median(took[name]) for name in ("wrong", "nobody"))
    assert 0.5 < wrong / nobody < 2.0, (wrong, nobody)


def test_an_erasure_takes_the_meeting_platforms_id_too(world: World, lecture: Lecture) -> None:
    """The snippet's data-participant-ref names the participant in the meeting platform: an
    erasure on request (Art. 17) removes it with the personal fields."""
    ref = "zoom-user-7f3e-canary"
    pid = lecture.join(CANARY_NAME, ref=ref)
    assert world.participant(pid).ref == ref
    answer = erase(world, lecture.call_id, pid)
    assert answer["erased"] == ["display_name", "ref"] and answer["recorded"] is True
    person = world.participant(pid)
    assert person.ref is None and person.display_name is None
    again = erase(world, lecture.call_id, pid)
    assert again["recorded"] is False  # nothing left: idempotent
    assert world.verify().ok
