import pytest
from django.core.management import CommandError, call_command

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
    assert again.added == [] and len(again.already_there) == 3


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
