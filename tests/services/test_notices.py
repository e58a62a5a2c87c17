"""DESIGN §2 Notice and Purpose: immutable versions, content hashes, validity of a notice."""

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import lecture_notice
from tests.services.support import Lecture, World
from widget_server.domain.errors import NotFound, ValidationFailed
from widget_server.domain.models import Notice, NoticeVersion
from widget_server.services import notices


def expected_hash(content: dict[str, Any]) -> str:
    """SHA-256 of canonical JSON, computed here independently of the product's helper."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_publish_gives_version_1_with_sha256_of_canonical_json(world: World) -> None:
    org_id, _ = world.organisation()
    content = lecture_notice()
    published = world.publish(org_id, content)
    assert published["version"] == 1
    assert published["content_hash"] == expected_hash(content)
    assert published["purposes"] == content["purposes"]
    assert published["default_language"] == "en"


def test_content_hash_ignores_key_order_but_not_content(world: World) -> None:
    org_id, _ = world.organisation()
    content = lecture_notice()
    reordered = dict(reversed(list(content.items())))
    reordered["purposes"] = [dict(reversed(list(p.items()))) for p in content["purposes"]]
    changed = lecture_notice()
    changed["purposes"][1]["text"]["de"]["description"] += "!"
    first = world.publish(org_id, content)["content_hash"]
    assert world.publish(org_id, reordered)["content_hash"] == first
    assert world.publish(org_id, changed)["content_hash"] != first


def test_a_new_version_leaves_the_old_one_exactly_as_published(world: World) -> None:
    org_id, _ = world.organisation()
    v1_content = lecture_notice()
    v1 = world.publish(org_id, v1_content)
    v2_content = lecture_notice()
    v2_content["purposes"][0]["text"]["en"]["title"] = "Record and publish this session"
    v2_content["purposes"][0]["retention_days"] = 90

    v2 = world.publish_version(org_id, v1["id"], v2_content)

    assert (v2["id"], v2["version"]) == (v1["id"], 2)
    assert v2["content_hash"] == expected_hash(v2_content) != v1["content_hash"]
    latest = world.get_notice(org_id, v1["id"])
    assert latest["version"] == 2
    assert latest["purposes"][0]["text"]["en"]["title"] == "Record and publish this session"
    old = world.get_notice(org_id, v1["id"], version=1)
    assert old["version"] == 1
    assert old["content_hash"] == v1["content_hash"] == expected_hash(v1_content)
    assert old["purposes"] == v1_content["purposes"]
    with world.db.read_session() as s:
        rows = s.execute(select(NoticeVersion.version, NoticeVersion.content,
                                NoticeVersion.content_hash)
                         .where(NoticeVersion.notice_id == v1["id"])
                         .order_by(NoticeVersion.version)).all()
    assert [(r.version, r.content, r.content_hash) for r in rows] == [
        (1, v1_content, v1["content_hash"]), (2, v2_content, v2["content_hash"])]


def test_a_call_stays_on_the_version_it_was_opened_with(world: World) -> None:
    org_id, _ = world.organisation()
    v1 = world.publish(org_id)
    before = world.open_call(org_id, v1["id"])
    content = lecture_notice()
    content["purposes"][1]["retention_days"] = 14
    v2 = world.publish_version(org_id, v1["id"], content)
    after = world.open_call(org_id, v1["id"])
    assert world.get_call(org_id, before["id"])["notice"] == {
        "id": v1["id"], "version": 1, "content_hash": v1["content_hash"]}
    assert world.get_call(org_id, after["id"])["notice"] == {
        "id": v1["id"], "version": 2, "content_hash": v2["content_hash"]}


def test_an_unknown_version_is_not_found(world: World) -> None:
    org_id, _ = world.organisation()
    notice = world.publish(org_id)
    with pytest.raises(NotFound):
        world.get_notice(org_id, notice["id"], version=2)


Mutation = Callable[[dict[str, Any]], None]


def _drop_german_notes(c: dict[str, Any]) -> None:
    del c["purposes"][1]["text"]["de"]


def _unknown_basis(c: dict[str, Any]) -> None:
    c["purposes"][2]["lawful_basis"] = "because_we_can"


def _unknown_category(c: dict[str, Any]) -> None:
    c["purposes"][0]["data"] = ["display_name", "ip_address"]


def _duplicate_key(c: dict[str, Any]) -> None:
    c["purposes"][3]["key"] = "recording"


def _default_absent(c: dict[str, Any]) -> None:
    c["default_language"] = "fr"


def _no_purposes(c: dict[str, Any]) -> None:
    c["purposes"] = []


@pytest.mark.parametrize(("mutate", "place", "named"), [
    (_drop_german_notes, "purposes.1.text", "'de'"),
    (_unknown_basis, "purposes.2.lawful_basis", "because_we_can"),
    (_unknown_category, "purposes.0.data", "ip_address"),
    (_duplicate_key, "purposes.3.key", "recording"),
    (_default_absent, "default_language", "'fr'"),
    (_no_purposes, "purposes", "purpose"),
], ids=["missing-translation", "unknown-basis", "unknown-category", "duplicate-key",
        "default-language-absent", "no-purposes"])
def test_an_invalid_notice_is_refused_naming_the_place_and_nothing_is_stored(
        world: World, mutate: Mutation, place: str, named: str) -> None:
    org_id, _ = world.organisation()
    content = lecture_notice()
    mutate(content)
    with pytest.raises(ValidationFailed) as caught:
        world.publish(org_id, content)
    assert list(caught.value.fields) == [place]
    assert named in " ".join(caught.value.fields[place])
    assert world.count(Notice) == 0
    assert world.count(NoticeVersion) == 0


def test_every_offending_place_is_named_at_once(world: World) -> None:
    org_id, _ = world.organisation()
    content = lecture_notice()
    _unknown_basis(content)
    _unknown_category(content)
    _drop_german_notes(content)
    with pytest.raises(ValidationFailed) as caught:
        world.publish(org_id, content)
    assert set(caught.value.fields) == {
        "purposes.2.lawful_basis", "purposes.0.data", "purposes.1.text"}


def test_an_invalid_next_version_is_refused_and_the_latest_stays(world: World) -> None:
    org_id, _ = world.organisation()
    notice = world.publish(org_id)
    bad = lecture_notice()
    _duplicate_key(bad)
    with pytest.raises(ValidationFailed) as caught:
        world.publish_version(org_id, notice["id"], bad)
    assert "purposes.3.key" in caught.value.fields
    latest = world.get_notice(org_id, notice["id"])
    assert (latest["version"], latest["content_hash"]) == (1, notice["content_hash"])
    assert world.count(NoticeVersion) == 1


def test_every_lawful_basis_of_art_6_is_accepted(world: World) -> None:
    org_id, _ = world.organisation()
    bases = ["consent", "contract", "legal_obligation", "vital_interests", "public_task",
             "legitimate_interests"]
    content = lecture_notice()
    template = content["purposes"][3]
    content["purposes"] = [{**copy.deepcopy(template), "key": f"p{i}", "lawful_basis": basis}
                           for i, basis in enumerate(bases)]
    content["purposes"][-1]["legitimate_interest"] = {"en": "Counting.", "de": "Zählen."}
    published = world.publish(org_id, content)
    assert [p["lawful_basis"] for p in published["purposes"]] == bases


def test_another_organisations_notice_is_not_found(world: World, lecture: Lecture) -> None:
    other_org, _ = world.organisation("Other College", ("https://other.example",))
    with pytest.raises(NotFound):
        world.get_notice(other_org, lecture.notice["id"])
    with pytest.raises(NotFound):
        world.publish_version(other_org, lecture.notice["id"], lecture_notice())
    with pytest.raises((NotFound, ValidationFailed)):
        world.open_call(other_org, lecture.notice["id"])
    assert world.count(NoticeVersion) == 1
    with world.db.read_session() as s:
        assert notices.list_notices(s, other_org) == []
        assert [n["id"] for n in notices.list_notices(s, lecture.org_id)] == [lecture.notice["id"]]
