"""CONTRACT §A "Notice fields added": the Art. 13 disclosures, their rules and their rendering."""

import copy
from typing import Any

import pytest

from tests.conftest import lecture_notice
from tests.services.support import World
from widget_server.domain.errors import ValidationFailed
from widget_server.domain.models import NoticeVersion
from widget_server.domain.notice import render


def full_notice() -> dict[str, Any]:
    content = lecture_notice()
    content["controller"]["address"] = "1 College Road, Example Town"
    content["controller"]["representative"] = {"name": "EU Rep Ltd",
                                               "contact_email": "rep@example.eu"}
    content["dpo"] = {"name": "Dana Officer", "contact_email": "dpo@example.edu"}
    content["recipients"] = [{"name": "Transcripts Inc", "role": "processor",
                              "purposes": ["recording"], "country": "US"}]
    content["transfers"] = [{"country": "US", "safeguard": "standard_contractual_clauses"}]
    content["supervisory_authority"] = {"name": "Example DPA", "url": "https://dpa.example"}
    recording = content["purposes"][0]
    recording.update(required=False, automated_decisions=True, processes=["audio", "video"])
    content["purposes"][3]["required"] = True
    return content


def refused(world: World, content: dict[str, Any]) -> dict[str, list[str]]:
    org_id, _ = world.organisation()
    with pytest.raises(ValidationFailed) as caught:
        world.publish(org_id, content)
    assert world.count(NoticeVersion) == 0  # nothing stored
    return dict(caught.value.fields)


def test_a_notice_with_every_disclosure_is_published_and_rendered_in_the_chosen_language(
        world: World) -> None:
    org_id, _ = world.organisation()
    content = full_notice()
    published = world.publish(org_id, copy.deepcopy(content))
    assert published["dpo"] == content["dpo"]

    shown = render(content, "de")
    assert shown["controller"]["address"] == "1 College Road, Example Town"
    assert shown["controller"]["representative"]["name"] == "EU Rep Ltd"
    assert shown["dpo"] == content["dpo"]
    assert shown["recipients"] == content["recipients"]
    assert shown["transfers"] == content["transfers"]
    assert shown["supervisory_authority"] == content["supervisory_authority"]
    recording, _, attendance, service = shown["purposes"]
    assert (recording["automated_decisions"], recording["required"]) == (True, False)
    assert recording["processes"] == ["audio", "video"]
    assert recording["legitimate_interest"] is None
    assert attendance["legitimate_interest"] == "Wissen, wer teilnahm, für Leistungsnachweise."
    assert render(content, "en")["purposes"][2]["legitimate_interest"].startswith("Knowing")
    assert service["required"] is True and service["processes"] == []


def test_absent_disclosures_render_as_stated_defaults() -> None:
    shown = render(lecture_notice(), "en")
    assert (shown["dpo"], shown["supervisory_authority"]) == (None, None)
    assert (shown["recipients"], shown["transfers"]) == ([], [])
    assert all(p["required"] is False and p["automated_decisions"] is False
               and p["processes"] == [] for p in shown["purposes"])


@pytest.mark.parametrize("basis", ["contract", "legal_obligation", "vital_interests",
                                   "public_task"])
def test_gates_recording_on_a_basis_nobody_can_decide_is_refused(world: World, basis: str) -> None:
    content = lecture_notice()
    content["purposes"][3].update(lawful_basis=basis, gates_recording=True)
    errors = refused(world, content)
    assert list(errors) == ["purposes.3.gates_recording"]
    assert "block recording for ever" in errors["purposes.3.gates_recording"][0]


def test_gates_recording_on_consent_and_legitimate_interests_is_accepted(world: World) -> None:
    org_id, _ = world.organisation()
    content = lecture_notice()
    content["purposes"][2]["gates_recording"] = True
    published = world.publish(org_id, content)
    assert [p.get("gates_recording") for p in published["purposes"]][:3] == [True, None, True]


def test_a_legitimate_interests_purpose_without_its_interest_is_refused(world: World) -> None:
    content = lecture_notice()
    del content["purposes"][2]["legitimate_interest"]
    errors = refused(world, content)
    assert list(errors) == ["purposes.2.legitimate_interest"]
    assert "Art. 13(1)(d)" in errors["purposes.2.legitimate_interest"][0]


def test_the_legitimate_interest_must_cover_exactly_the_notices_languages(world: World) -> None:
    content = lecture_notice()
    content["purposes"][2]["legitimate_interest"] = {"en": "Counting.", "fr": "Compter."}
    errors = refused(world, content)
    assert errors["purposes.2.legitimate_interest"] == [
        "No legitimate interest text in language 'de'.",
        "Language 'fr' has no purpose texts."]


def test_a_legitimate_interest_on_another_basis_is_refused(world: World) -> None:
    content = lecture_notice()
    content["purposes"][0]["legitimate_interest"] = {"en": "x", "de": "y"}
    assert list(refused(world, content)) == ["purposes.0.legitimate_interest"]


def test_a_recipient_naming_an_unknown_purpose_is_refused(world: World) -> None:
    content = full_notice()
    content["recipients"][0]["purposes"] = ["recording", "payroll"]
    errors = refused(world, content)
    assert errors == {"recipients.0.purposes": ["The notice has no purpose 'payroll'."]}


def test_a_kind_of_processing_named_twice_is_refused(world: World) -> None:
    content = full_notice()
    content["purposes"][0]["processes"] = ["audio", "audio"]
    assert list(refused(world, content)) == ["purposes.0.processes"]


@pytest.mark.parametrize("value", ["-----", "+1 2", "020 7946 0000", "+44 20 7946 0000 ext",
                                   "+" + "1" * 40, "+44#2079460000"])
def test_a_phone_number_that_cannot_exist_is_refused(value: str) -> None:
    from widget_server.domain.fields import check_fields

    with pytest.raises(ValidationFailed) as caught:
        check_fields({"phone": value}, frozenset({"phone"}), frozenset({"phone"}), "here")
    assert list(caught.value.fields) == ["phone"]


@pytest.mark.parametrize("value", ["+44 20 7946 0000", "+1 (415) 555-0100", "+33 1 23 45 67 89"])
def test_an_international_phone_number_is_accepted(value: str) -> None:
    from widget_server.domain.fields import check_fields

    assert check_fields({"phone": f" {value} "}, frozenset({"phone"}), frozenset(), "here") == {
        "phone": value}
