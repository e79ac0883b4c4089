"""The one CSV writer: formulas never reach a spreadsheet, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from netdesk.core.csvexport import CsvWriter, csv_cell, csv_text, time_heading


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+49 30 1234", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1", "=HYPERLINK(x)"],
)
def test_text_starting_like_a_formula_is_quoted(text):
    assert csv_cell(text) == f"'{text}"


@pytest.mark.parametrize("number", [-5, -0.25, Decimal("-3.10"), 0, 42])
def test_numbers_typed_as_numbers_stay_numbers(number):
    assert csv_cell(number) == number


def test_plain_values_are_written_as_people_read_them():
    assert csv_cell("Hauptstadt Bank") == "Hauptstadt Bank"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "yes"
    assert csv_cell(["=a", "b"]) == "'=a; b"
    with timezone.override(ZoneInfo("Europe/Berlin")):
        assert csv_cell(datetime(2026, 6, 1, 8, 30, tzinfo=UTC)) == "2026-06-01 10:30"
        assert time_heading("Started") == "Started (Europe/Berlin)"


def test_writer_and_text_quote_every_cell_the_same_way():
    out = io.StringIO()
    CsvWriter(out).writerow(["=evil", -1, "ok"])
    assert out.getvalue() == csv_text(["=evil", -1, "ok"], [])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=evil", "-1", "ok"]
