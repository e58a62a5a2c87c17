"""Callers' numbers (services/phone/numbers.py), without Flask: E.164 or a refusal naming
`caller`; the label keeps two digits."""

import pytest

from widget_server.domain.errors import ValidationFailed
from widget_server.services.phone import numbers


@pytest.mark.parametrize(("raw", "e164"), [
    ("+49 30 901820 56", "+493090182056"),
    ("+44 (20) 7946-0018", "+442079460018"),
    ("  +1 415 555 0100 ", "+14155550100"),
    ("+33.1.23.45.67.89", "+33123456789"),
])
def test_numbers_become_e164(raw: str, e164: str) -> None:
    assert numbers.e164(raw) == e164


@pytest.mark.parametrize("raw", [None, 4930901820, "", "   ", "+", "++49 30 1234",
                                 "0049 30 901820", "+49 30 FLOWERS", "+49 30 90#18",
                                 "+1 2", "+49" + "1" * 30, "+49 30 " + "1" * 26])
def test_anything_else_is_refused_naming_caller(raw: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        numbers.e164(raw)
    assert list(refused.value.fields) == ["caller"]
    if isinstance(raw, str) and raw.strip(" +"):  # the refusal never repeats the number
        assert raw.strip() not in refused.value.message


def test_the_label_keeps_the_last_two_digits_only() -> None:
    assert numbers.label("+493090182056") == "Phone ••56"
