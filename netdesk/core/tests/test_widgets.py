"""QuickSelect writes the options Django's Select would, selected alike."""

from __future__ import annotations

import re

import pytest
from django import forms

from netdesk.core.widgets import QuickSelect

CHOICES = [("", "Any"), ("new", "New"), ("1", 'P1 <critical> & "now"'), ("new", "Again")]
OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')


def options(html: str) -> list[tuple[str, bool, str]]:
    return [(value, bool(selected), label) for value, selected, label in OPTION.findall(html)]


@pytest.mark.parametrize("value", [None, "", "new", "1", 1, "unknown"])
def test_the_same_options_and_the_same_one_selected_as_djangos(value):
    ours = QuickSelect(choices=CHOICES).render("status", value, {"id": "id_status"})
    djangos = forms.Select(choices=CHOICES).render("status", value, {"id": "id_status"})
    assert options(ours) == options(djangos)
    assert ours.startswith('<select name="status" id="id_status">')


def test_labels_and_values_are_escaped():
    html = QuickSelect(choices=[('a"b', "<b>x</b>")]).render('n"', 'a"b')
    assert "<b>" not in html
    assert 'value="a&quot;b" selected' in html
    assert 'name="n&quot;"' in html


def test_grouped_choices_are_left_to_django():
    grouped = [("Open", [("new", "New")]), ("Done", [("closed", "Closed")])]
    html = QuickSelect(choices=grouped).render("status", "closed")
    assert '<optgroup label="Open">' in html
    assert options(html)[1] == ("closed", True, "Closed")


def test_the_queue_filter_form_renders_its_chosen_values():
    from netdesk.tickets.forms import QueueFilterForm

    form = QueueFilterForm({"status": "new", "priority": "2", "order": "due"})
    assert ("new", True, "New") in options(str(form["status"]))
    assert ("2", True, "P2 high") in options(str(form["priority"]))
    assert ("due", True, "Due time") in options(str(form["order"]))
