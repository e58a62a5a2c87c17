"""Notices: publish, list, read (latest or a version), publish a next version."""

import copy

from tests.api.conftest import Api, assert_problem
from tests.conftest import lecture_notice


def test_publishing_a_notice_answers_201_with_the_notice(api: Api) -> None:
    response = api.post("/api/v1/notices", lecture_notice())
    assert response.status_code == 201
    notice = response.get_json()
    assert notice["id"] and isinstance(notice["id"], str)
    assert notice["version"] == 1
    assert notice["content_hash"].startswith("sha256:")
    assert len(notice["content_hash"]) == len("sha256:") + 64
    assert notice["created_at"]
    sent = lecture_notice()
    for field in ("name", "controller", "privacy_policy_url", "default_language"):
        assert notice[field] == sent[field]
    assert [p["key"] for p in notice["purposes"]] == [p["key"] for p in sent["purposes"]]
    recording, notes = notice["purposes"][0], notice["purposes"][1]
    assert recording["gates_recording"] is True
    assert notes["gates_recording"] is False  # the default, stated
    assert recording["text"]["de"]["title"] == "Diese Sitzung aufzeichnen"
    assert notes["data"] == ["email"] and notes["retention_days"] == 7


def test_listing_shows_each_notice_at_its_latest_version(api: Api) -> None:
    assert api.get("/api/v1/notices").get_json() == []
    first = api.notice()
    second = api.notice()
    api.post(f"/api/v1/notices/{first['id']}/versions", lecture_notice())
    listed = api.get("/api/v1/notices").get_json()
    assert [(n["id"], n["version"]) for n in listed] == [(first["id"], 2), (second["id"], 1)]


def test_a_next_version_keeps_the_earlier_one_as_it_was(api: Api) -> None:
    first = api.notice()
    changed = lecture_notice()
    changed["name"] = "Lecture capture (2025)"
    response = api.post(f"/api/v1/notices/{first['id']}/versions", changed)
    assert response.status_code == 201
    second = response.get_json()
    assert (second["id"], second["version"], second["name"]) == (
        first["id"], 2, "Lecture capture (2025)")
    assert second["content_hash"] != first["content_hash"]

    latest = api.get(f"/api/v1/notices/{first['id']}").get_json()
    assert latest == second
    again = api.get(f"/api/v1/notices/{first['id']}?version=1").get_json()
    assert again == first
    assert_problem(api.get(f"/api/v1/notices/{first['id']}?version=3"), 404)


def test_the_same_content_hashes_the_same(api: Api) -> None:
    one, two = api.notice(), api.notice()
    assert one["content_hash"] == two["content_hash"]
    reordered = copy.deepcopy(lecture_notice())
    reordered["purposes"][0]["text"]["en"]["title"] = "Record it"
    assert api.notice(reordered)["content_hash"] != one["content_hash"]


def test_another_organisations_notice_is_not_found(api: Api, other: Api) -> None:
    notice = api.notice()
    assert_problem(other.get(f"/api/v1/notices/{notice['id']}"), 404)
    assert_problem(other.get(f"/api/v1/notices/{notice['id']}?version=1"), 404)
    assert_problem(other.post(f"/api/v1/notices/{notice['id']}/versions", lecture_notice()), 404)
    assert other.get("/api/v1/notices").get_json() == []
    assert api.get(f"/api/v1/notices/{notice['id']}").get_json()["version"] == 1


def test_an_id_that_cannot_exist_is_not_found(api: Api) -> None:
    for bad in ("nope", "ntc_%00", "x" * 300, "%E2%9C%93"):
        assert_problem(api.get(f"/api/v1/notices/{bad}"), 404)
