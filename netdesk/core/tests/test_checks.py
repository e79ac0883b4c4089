"""The shared checks refuse naming the field, the value and what is accepted."""

import pytest
from django.db.models import IntegerChoices, TextChoices

from netdesk.core.checks import checked_choice, checked_text
from netdesk.core.errors import ValidationFailed


class Colour(TextChoices):
    RED = "red"
    BLUE = "blue"


class Size(IntegerChoices):
    SMALL = 1
    LARGE = 2


def test_text_is_stripped_and_kept_within_its_limit():
    assert checked_text("title", "  Fibre cut  ", 20) == "Fibre cut"
    assert checked_text("note", None, 20, blank=True) == ""


@pytest.mark.parametrize(
    ("value", "blank", "accepted"),
    [
        ("   ", False, "1 to 5 characters"),
        ("x" * 6, False, "1 to 5 characters"),
        ("x" * 6, True, "0 to 5 characters"),
    ],
)
def test_text_empty_or_too_long_is_refused(value, blank, accepted):
    with pytest.raises(ValidationFailed) as refused:
        checked_text("title", value, 5, blank=blank)
    assert refused.value.field == "title"
    assert refused.value.accepted == accepted


def test_choice_accepts_a_choices_class_or_a_list_of_values():
    assert checked_choice("colour", "red", Colour) == "red"
    assert checked_choice("size", 2, Size) == 2
    assert checked_choice("state", "open", ["open", "closed"]) == "open"


def test_choice_outside_the_accepted_values_is_refused_naming_them():
    with pytest.raises(ValidationFailed) as refused:
        checked_choice("colour", "green", Colour)
    assert refused.value.field == "colour"
    assert refused.value.value == "green"
    assert refused.value.accepted == ["red", "blue"]
