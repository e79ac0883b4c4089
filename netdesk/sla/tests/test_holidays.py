import pytest
from django.core.management import CommandError, call_command

from netdesk.core.errors import ValidationFailed
from netdesk.sla.holidays import holidays_import_ics
from netdesk.sla.models import BusinessCalendar

pytestmark = pytest.mark.django_db

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//holidays//EN\r
BEGIN:VEVENT\r
UID:1\r
SUMMARY:New Year\r
DTSTART;VALUE=DATE:20270101\r
DTEND;VALUE=DATE:20270102\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2\r
SUMMARY:Christmas\r
DTSTART;VALUE=DATE:20261225\r
DTEND;VALUE=DATE:20261227\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3\r
SUMMARY:Team meeting\r
DTSTART:20261210T090000Z\r
DTEND:20261210T100000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_all_day_events_become_holidays_and_timed_ones_are_reported():
    calendar = BusinessCalendar.objects.create(name="office")
    result = holidays_import_ics(calendar=calendar, data=ICS)
    assert sorted(str(d) for d, _ in result.added) == ["2026-12-25", "2026-12-26", "2027-01-01"]
    assert result.skipped == [("Team meeting", "a timed event, not an all-day holiday")]
    again = holidays_import_ics(calendar=calendar, data=ICS)
    assert again.added == []
    assert len(again.already_there) == 3


def test_command_reports_counts_and_refuses_bad_files(tmp_path, capsys):
    BusinessCalendar.objects.create(name="office")
    path = tmp_path / "holidays.ics"
    path.write_bytes(ICS)
    call_command("holidays", "import", str(path), "--calendar", "office")
    assert "3 holidays added" in capsys.readouterr().out
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"not a calendar")
    with pytest.raises(CommandError, match="not an iCalendar file"):
        call_command("holidays", "import", str(bad), "--calendar", "office")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("holidays", "import", str(path), "--calendar", "nope")


def calendar_file(*events: bytes) -> bytes:
    body = b"".join(b"BEGIN:VEVENT\r\n" + event + b"END:VEVENT\r\n" for event in events)
    return b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + body + b"END:VCALENDAR\r\n"


def test_an_impossible_date_names_its_line_and_value_and_adds_nothing(tmp_path):
    BusinessCalendar.objects.create(name="office")
    path = tmp_path / "holidays.ics"
    path.write_bytes(
        calendar_file(
            b"UID:1\r\nSUMMARY:New Year\r\nDTSTART;VALUE=DATE:20270101\r\n",
            b"UID:2\r\nSUMMARY:Nowhere day\r\nDTSTART:20271345\r\n",
        )
    )
    with pytest.raises(CommandError) as failure:
        call_command("holidays", "import", str(path), "--calendar", "office")
    message = str(failure.value)
    assert "line 12" in message
    assert "DTSTART" in message
    assert "'20271345'" in message
    assert "YYYYMMDD" in message
    assert not BusinessCalendar.objects.get(name="office").holidays.exists()


def test_text_that_is_not_utf8_is_refused_with_its_byte_offset():
    calendar = BusinessCalendar.objects.create(name="office")
    data = calendar_file(b"UID:1\r\nSUMMARY:F\xeate nationale\r\nDTSTART;VALUE=DATE:20270714\r\n")
    with pytest.raises(ValidationFailed) as failure:
        holidays_import_ics(calendar=calendar, data=data)
    offset = data.index(b"\xea")
    assert f"byte {offset}" in failure.value.message
    assert "line 6" in failure.value.message
    assert "UTF-8" in failure.value.message
    assert not calendar.holidays.exists()


def test_repeating_events_are_kept_yearly_or_reported(tmp_path, capsys):
    calendar = BusinessCalendar.objects.create(name="office")
    data = calendar_file(
        b"UID:1\r\nSUMMARY:Labour Day\r\nDTSTART;VALUE=DATE:20260501\r\nRRULE:FREQ=YEARLY\r\n",
        b"UID:2\r\nSUMMARY:Spring bank holiday\r\nDTSTART;VALUE=DATE:20260525\r\n"
        b"RRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO\r\n",
        b"UID:3\r\nSUMMARY:" + b"L" * 130 + b"\r\nDTSTART;VALUE=DATE:20261003\r\n",
    )
    result = holidays_import_ics(calendar=calendar, data=data)

    stored = {h.date.isoformat(): (h.name, h.yearly) for h in calendar.holidays.all()}
    assert stored == {
        "2026-05-01": ("Labour Day", True),
        "2026-05-25": ("Spring bank holiday", False),
        "2026-10-03": ("L" * 120, False),
    }
    assert result.changed == [
        ("Labour Day", "repeats every year (RRULE FREQ=YEARLY): kept as a yearly holiday"),
        (
            "Spring bank holiday",
            "repeats by a rule not expanded (RRULE FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO): only "
            "2026-05-25 added; add the other dates as events of their own",
        ),
        ("L" * 120, "SUMMARY of 130 characters shortened to 120"),
    ]
    path = tmp_path / "rules.ics"
    path.write_bytes(data)
    other = BusinessCalendar.objects.create(name="other")
    call_command("holidays", "import", str(path), "--calendar", other.name)
    out = capsys.readouterr().out
    assert "3 holidays added" in out
    assert "3 kept with changes" in out
    assert "changed 'Labour Day': repeats every year" in out
