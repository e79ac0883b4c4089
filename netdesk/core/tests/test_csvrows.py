"""Rows are numbered by row, or by the line each starts on."""

import io

from netdesk.core.csvrows import csv_rows

TEXT = 'name,note\nA,"two\nlines"\nB,one\n'


def test_rows_are_numbered_by_row_or_by_the_line_they_start_on():
    assert [number for number, _ in csv_rows(io.StringIO(TEXT))] == [1, 2, 3]
    assert [number for number, _ in csv_rows(io.StringIO(TEXT), by_line=True)] == [1, 2, 4]
