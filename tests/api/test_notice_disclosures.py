"""CONTRACT §A notice fields at the REST edge: accepted shapes, and each bad input named (422)."""

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api, assert_problem
from tests.conftest import lecture_notice
from tests.services.test_notice_disclosures import full_notice


def test_every_disclosure_round_trips_through_the_api(api: Api) -> None:
    sent = full_notice()
    response = api.post("/api/v1/notices", sent)
    assert response.status_code == 201, response.get_data(as_text=True)
    notice = response.get_json()
    for field in ("controller", "dpo", "recipients", "transfers", "supervisory_authority"):
        assert notice[field] == sent[field]
    recording = notice["purposes"][0]
    assert recording["processes"] == ["audio", "video"]
    assert recording["automated_decisions"] is True
    assert notice["purposes"][2]["legitimate_interest"] == sent["purposes"][2][
        "legitimate_interest"]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(content: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = content
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return change


_DELETE = object()

BAD_INPUTS = [
    ("contract purpose gating", _set("purposes.3.gates_recording", True),
     "purposes.3.gates_recording"),
    ("no legitimate interest", _set("purposes.2.legitimate_interest", _DELETE),
     "purposes.2.legitimate_interest"),
    ("legitimate interest in a missing language",
     _set("purposes.2.legitimate_interest", {"en": "Counting."}), "purposes.2.legitimate_interest"),
    ("recipient of an unknown purpose", _set("recipients.0.purposes", ["payroll"]),
     "recipients.0.purposes"),
]

SHAPE_ERRORS = [
    ("unknown recipient role", _set("recipients.0.role", "friend"), ("recipients", "0", "role")),
    ("unknown safeguard", _set("transfers.0.safeguard", "trust_me"),
     ("transfers", "0", "safeguard")),
    ("country not a code", _set("transfers.0.country", "United States"),
     ("transfers", "0", "country")),
    ("dpo without email", _set("dpo.contact_email", _DELETE), ("dpo", "contact_email")),
    ("representative bad email", _set("controller.representative.contact_email", "nope"),
     ("controller", "representative", "contact_email")),
    ("authority url not http", _set("supervisory_authority.url", "javascript:alert(1)"),
     ("supervisory_authority", "url")),
    ("unknown processing", _set("purposes.0.processes", ["telepathy"]),
     ("purposes", "0", "processes")),
    ("required not a boolean", _set("purposes.0.required", "yes"),
     ("purposes", "0", "required")),
    ("automated_decisions not a boolean", _set("purposes.0.automated_decisions", 1),
     ("purposes", "0", "automated_decisions")),
    ("address with NUL", _set("controller.address", "a\x00b"), ("controller", "address")),
    ("unknown field in dpo", _set("dpo.phone", "123"), ("dpo", "phone")),
    ("blank legitimate interest", _set("purposes.2.legitimate_interest", {"en": " ", "de": "x"}),
     ("purposes", "2", "legitimate_interest")),
]


@pytest.mark.parametrize(("case", "change", "where"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_a_rule_across_fields_is_refused_naming_the_place(
        api: Api, case: str, change: Callable[[dict[str, Any]], None], where: str) -> None:
    content = full_notice()
    change(content)
    body = assert_problem(api.post("/api/v1/notices", content), 422)
    assert where in body["errors"], body
    assert api.get("/api/v1/notices").get_json() == []


@pytest.mark.parametrize(("case", "change", "where"), SHAPE_ERRORS, ids=[c[0] for c in SHAPE_ERRORS])
def test_a_bad_field_is_refused_naming_it(
        api: Api, case: str, change: Callable[[dict[str, Any]], None],
        where: tuple[str, ...]) -> None:
    content = copy.deepcopy(full_notice())
    change(content)
    body = assert_problem(api.post("/api/v1/notices", content), 422)
    errors: Any = body["errors"]
    for part in where:
        assert part in errors, (where, body["errors"])
        errors = errors[part]
    assert api.get("/api/v1/notices").get_json() == []


def test_the_readme_quick_start_notice_is_still_accepted(api: Api) -> None:
    content = lecture_notice()
    content["purposes"] = [content["purposes"][0], content["purposes"][3]]
    for purpose in content["purposes"]:
        del purpose["text"]["de"]
    assert api.post("/api/v1/notices", content).status_code == 201
