"""Syslog parsing and mapping to alarms, on tricky inputs. No sockets, no database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from netdesk.integrations.syslog.mapping import StateRule, SyslogMapping, syslog_to_alarm
from netdesk.integrations.syslog.parser import SyslogParseError, parse_syslog
from netdesk.noc.services.alarms import AlarmIn

NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)


# RFC 5424 -------------------------------------------------------------------------


def test_rfc5424_example_with_bom_and_nil_structured_data() -> None:
    message = parse_syslog(
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
        b"\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
        received_at=NOW,
    )
    assert message.format == "rfc5424"
    assert (message.facility, message.severity) == (4, 2)
    assert message.timestamp == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert message.hostname == "mymachine.example.com"
    assert (message.app_name, message.procid, message.msgid) == ("su", "", "ID47")
    assert message.structured_data == {}
    assert message.message == "'su root' failed for lonvick on /dev/pts/8"


def test_rfc5424_offset_and_microseconds() -> None:
    message = parse_syslog(
        b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time",
        received_at=NOW,
    )
    assert message.timestamp == datetime(
        2003, 8, 24, 5, 14, 15, 3, tzinfo=timezone(timedelta(hours=-7))
    )
    assert message.procid == "8710"
    assert message.msgid == ""
    assert message.message == "%% It's time"


def test_rfc5424_all_nil_values_and_no_message() -> None:
    message = parse_syslog(b"<14>1 - - - - - -", received_at=NOW)
    assert message.timestamp is None
    assert (message.hostname, message.app_name, message.procid, message.msgid) == ("", "", "", "")
    assert message.message == ""


def test_rfc5424_structured_data_with_escapes() -> None:
    message = parse_syslog(
        b"<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 "
        b'[exampleSDID@32473 iut="3" eventSource="Application"]'
        b'[examplePriority@32473 class="high" esc="a\\"b\\\\c\\]d\\e" br="x]y"] the message',
        received_at=NOW,
    )
    assert message.structured_data == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application"},
        # Only \" \\ and \] are escapes; any other backslash stays.
        "examplePriority@32473": {"class": "high", "esc": 'a"b\\c]d\\e', "br": "x]y"},
    }
    assert message.message == "the message"


def test_rfc5424_structured_data_without_parameters_and_no_message() -> None:
    message = parse_syslog(b"<13>1 - host app - - [origin]", received_at=NOW)
    assert message.structured_data == {"origin": {}}
    assert message.message == ""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty message"),
        (b"\r\n\x00", "empty message"),
        (b"hello, no PRI", "missing PRI"),
        (b"<abc>1 - - - - - -", "missing PRI"),
        (b"<192>1 - - - - - -", "bad PRI"),
        (b"<999>Oct 11 22:14:15 host app: x", "bad PRI"),
        (b"<34>2 - - - - - -", "unsupported version"),
        (b"<34>1 2003-10-11T22:14:15.003Z host su", "missing header field"),
        (b"<34>1 2003-10-11T22:14:15.003Z host su - ID47", "missing header field"),
        (b"<34>1 2003-10-11T22:14:15.003Z host su - ID47 ", "missing header field"),
        (b"<34>1 2003-10-11T22:14:15.003Z  su - ID47 - msg", "missing header field"),
        (b"<34>1 2003-10-11 host su - ID47 - msg", "bad timestamp"),
        (b"<34>1 2003-10-11T22:14:15 host su - ID47 - msg", "bad timestamp"),
        (b"<34>1 2003-13-11T22:14:15Z host su - ID47 - msg", "bad timestamp"),
        (b"<34>1 - host su - ID47 x msg", "bad structured data"),
        (b'<34>1 - host su - ID47 [id a="1" msg', "bad structured data"),
        (b'<34>1 - host su - ID47 [id a="1"', "bad structured data"),
        (b"<34>1 - host su - ID47 [id a=1] msg", "bad structured data"),
        (b'<34>1 - host su - ID47 [id a="1"]x msg', "bad structured data"),
        (b"<34>1 - host su - ID47 [] msg", "bad structured data"),
        (b"<13>", "empty message"),
    ],
)
def test_malformed_input_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SyslogParseError) as caught:
        parse_syslog(data, received_at=NOW)
    assert caught.value.reason == reason


def test_non_utf8_bytes_are_replaced_not_fatal() -> None:
    message = parse_syslog(b"<13>1 - host app - - - caf\xe9 \xff\xfe ok", received_at=NOW)
    assert message.message == "caf\ufffd \ufffd\ufffd ok"


def test_nul_inside_a_message_is_replaced_and_trailing_nul_dropped() -> None:
    message = parse_syslog(b"<13>app: a\x00b\x00", received_at=NOW)
    assert message.message == "a\ufffdb"
    assert message.replaced == 1
    alarm = syslog_to_alarm(message, peer="192.0.2.9", received_at=NOW)
    assert alarm is not None
    assert alarm.labels["nul_replaced"] == "1"


def test_leap_second_is_accepted() -> None:
    message = parse_syslog(b"<13>1 2016-12-31T23:59:60Z host app - - - x", received_at=NOW)
    assert message.timestamp == datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)


# RFC 3164 -------------------------------------------------------------------------


def test_rfc3164_example_takes_the_year_of_receipt() -> None:
    message = parse_syslog(
        b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        received_at=datetime(2026, 10, 12, 8, 0, tzinfo=UTC),
    )
    assert message.format == "rfc3164"
    assert message.timestamp == datetime(2026, 10, 11, 22, 14, 15, tzinfo=UTC)
    assert (message.hostname, message.app_name) == ("mymachine", "su")
    assert message.message == "'su root' failed for lonvick on /dev/pts/8"


def test_rfc3164_without_year_across_new_year() -> None:
    late_december = parse_syslog(
        b"<13>Dec 31 23:59:58 host app: x", received_at=datetime(2027, 1, 1, 0, 0, 5, tzinfo=UTC)
    )
    assert late_december.timestamp == datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC)
    clock_slightly_ahead = parse_syslog(
        b"<13>Jan  1 00:00:01 host app: x",
        received_at=datetime(2026, 12, 31, 23, 59, 50, tzinfo=UTC),
    )
    assert clock_slightly_ahead.timestamp == datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC)
    months_ago = parse_syslog(b"<13>Mar  1 00:00:01 host app: x", received_at=NOW)
    assert months_ago.timestamp == datetime(2026, 3, 1, 0, 0, 1, tzinfo=UTC)


def test_rfc3164_in_a_configured_zone() -> None:
    message = parse_syslog(
        b"<13>Mar 10 13:00:00 host app: x",
        received_at=NOW,
        legacy_timezone=ZoneInfo("Europe/Berlin"),
    )
    assert message.timestamp == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_rfc3164_feb_29_outside_a_leap_year_has_no_timestamp() -> None:
    message = parse_syslog(
        b"<13>Feb 29 10:00:00 host app: x",
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert message.timestamp is None
    assert message.hostname == "host"


def test_rfc3164_with_pid_and_without_hostname() -> None:
    with_pid = parse_syslog(b"<30>Mar 10 11:59:00 host sshd[4242]: Accepted key", received_at=NOW)
    assert (with_pid.hostname, with_pid.app_name, with_pid.procid) == ("host", "sshd", "4242")
    assert with_pid.message == "Accepted key"
    no_host = parse_syslog(b"<30>Mar 10 11:59:00 sshd[4242]: Accepted key", received_at=NOW)
    assert (no_host.hostname, no_host.app_name) == ("", "sshd")


def test_cisco_ios_sequence_number_millis_zone_and_unsynchronised_clock() -> None:
    synced = parse_syslog(
        b"<187>46: Mar 10 11:59:02.123 UTC: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
        received_at=NOW,
    )
    assert synced.timestamp == datetime(2026, 3, 10, 11, 59, 2, 123000, tzinfo=UTC)
    assert synced.hostname == ""
    assert synced.message == "%LINK-3-UPDOWN: Interface Gi0/1, changed state to up"
    # '*': the device's clock was never set, so its time is not used.
    unsynced = parse_syslog(
        b"<187>45: router1: *Mar  1 00:01:02.123: %LINK-3-UPDOWN: Interface Gi0/1, "
        b"changed state to down",
        received_at=NOW,
    )
    assert unsynced.timestamp is None
    assert unsynced.hostname == "router1"
    assert unsynced.message.startswith("%LINK-3-UPDOWN:")


def test_rfc3164_with_an_rfc3339_timestamp() -> None:
    message = parse_syslog(b"<13>2026-03-10T11:00:00+01:00 host app: hi", received_at=NOW)
    assert message.timestamp == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    assert (message.hostname, message.app_name, message.message) == ("host", "app", "hi")


def test_python_sysloghandler_format_has_no_header() -> None:
    # What logging.handlers.SysLogHandler sends: PRI, message, NUL.
    message = parse_syslog(b"<11>netdesk-test: disk full\x00", received_at=NOW)
    assert message.timestamp is None
    assert message.hostname == ""
    assert message.app_name == "netdesk-test"
    assert message.message == "disk full"


def test_rfc3164_missing_everything_but_pri_and_text() -> None:
    message = parse_syslog(b"<13>just some text", received_at=NOW)
    assert (message.timestamp, message.hostname, message.app_name) == (None, "", "")
    assert message.message == "just some text"


# Mapping to alarms ----------------------------------------------------------------


def to_alarm(
    data: bytes, *, peer: str = "192.0.2.9", mapping: SyslogMapping | None = None
) -> AlarmIn | None:
    message = parse_syslog(data, received_at=NOW)
    return syslog_to_alarm(message, peer=peer, received_at=NOW, mapping=mapping)


def test_cisco_link_down_and_up_share_a_fingerprint() -> None:
    down = to_alarm(
        b"<187>Mar 10 11:59:00 edge1 %LINK-3-UPDOWN: Interface Gi0/1, changed state to down"
    )
    up = to_alarm(
        b"<187>Mar 10 11:59:30 edge1 %LINK-3-UPDOWN: Interface Gi0/1, changed state to up"
    )
    other = to_alarm(
        b"<187>Mar 10 11:59:00 edge1 %LINK-3-UPDOWN: Interface Gi0/2, changed state to down"
    )
    assert down is not None
    assert up is not None
    assert other is not None
    assert (down.name, down.element_ref, down.firing) == ("%LINK-3-UPDOWN", "edge1", True)
    assert up.firing is False
    assert down.fingerprint == up.fingerprint == "syslog:edge1:Gi0/1:%LINK-3-UPDOWN"
    assert other.fingerprint != down.fingerprint
    assert down.severity == 2  # syslog error → major
    assert down.at == datetime(2026, 3, 10, 11, 59, tzinfo=UTC)
    assert down.source == "syslog"


def test_juniper_link_traps_in_syslog_pair_across_names() -> None:
    down = to_alarm(
        b"<28>Mar 10 11:00:00 mx1 mib2d[1234]: SNMP_TRAP_LINK_DOWN: ifIndex 545, "
        b"ifAdminStatus up(1), ifOperStatus down(2), ifName ge-0/0/0"
    )
    up = to_alarm(
        b"<29>1 2026-03-10T11:05:00Z mx1 mib2d 1234 SNMP_TRAP_LINK_UP - ifIndex 545, "
        b"ifAdminStatus up(1), ifOperStatus up(1), ifName ge-0/0/0"
    )
    assert down is not None
    assert up is not None
    assert (down.name, up.name) == ("SNMP_TRAP_LINK_DOWN", "SNMP_TRAP_LINK_UP")
    assert (down.firing, up.firing) == (True, False)
    assert down.fingerprint == up.fingerprint == "syslog:mx1:ge-0/0/0:link"


def test_element_falls_back_to_the_peer_address() -> None:
    alarm = to_alarm(b"<11>app: no hostname here", peer="198.51.100.7")
    assert alarm is not None
    assert alarm.element_ref == "198.51.100.7"
    assert alarm.labels["peer"] == "198.51.100.7"
    assert alarm.fingerprint == ""


@pytest.mark.parametrize(
    ("pri_severity", "alarm_severity"),
    [(0, 1), (1, 1), (2, 1), (3, 2), (4, 4), (5, 5)],
)
def test_severity_mapping(pri_severity: int, alarm_severity: int) -> None:
    alarm = to_alarm(f"<{8 + pri_severity}>app: something".encode())
    assert alarm is not None
    assert alarm.severity == alarm_severity


def test_info_and_debug_are_filtered_unless_they_clear() -> None:
    assert to_alarm(b"<14>app: routine chatter") is None
    assert to_alarm(b"<15>app: debug chatter") is None
    clear = to_alarm(b"<14>1 - edge1 - - - - Interface Gi0/1, changed state to up")
    assert clear is not None
    assert clear.firing is False
    chatty = SyslogMapping(forward_up_to=7)
    assert to_alarm(b"<15>app: debug chatter", mapping=chatty) is not None


def test_state_rules_are_configurable() -> None:
    mapping = SyslogMapping(
        state_rules=(
            StateRule(
                re.compile(r"PSU (?P<subject>\d+) (?P<state>failed|ok)"),
                clear_states=frozenset({"ok"}),
                topic="psu",
            ),
        )
    )
    failed = to_alarm(b"<10>1 - sw1 chassis - PSU - PSU 2 failed", mapping=mapping)
    ok = to_alarm(b"<13>1 - sw1 chassis - PSU - PSU 2 ok", mapping=mapping)
    assert failed is not None
    assert ok is not None
    assert (failed.firing, ok.firing) == (True, False)
    assert failed.fingerprint == ok.fingerprint == "syslog:sw1:2:psu"


def test_generic_clear_words() -> None:
    alarm = to_alarm(b"<13>1 - sw1 fand - FAN_ALARM - Fan tray 1 alarm cleared")
    assert alarm is not None
    assert alarm.firing is False
    assert alarm.name == "FAN_ALARM"


def test_device_clock_far_off_is_not_trusted() -> None:
    alarm = to_alarm(b"<11>1 1999-01-01T00:00:00Z host app - - - old clock")
    assert alarm is not None
    assert alarm.at == NOW
    assert alarm.labels["device_time"] == "1999-01-01T00:00:00+00:00"
    future = to_alarm(b"<11>1 2026-03-10T13:00:00Z host app - - - future clock")
    assert future is not None
    assert future.at == NOW


def test_labels_carry_structured_data_and_header_fields() -> None:
    alarm = to_alarm(b'<187>1 2026-03-10T11:00:00Z host app 42 ID9 [meta@1 site="ams\\]1"] text')
    assert alarm is not None
    assert alarm.labels == {
        "format": "rfc5424",
        "facility": "local7",
        "syslog_severity": "3",
        "peer": "192.0.2.9",
        "hostname": "host",
        "app_name": "app",
        "procid": "42",
        "msgid": "ID9",
        "meta@1.site": "ams]1",
    }
    assert alarm.name == "ID9"
    assert alarm.summary == "text"
    assert alarm.at.tzinfo is UTC


def test_long_message_is_cut_for_the_summary() -> None:
    alarm = to_alarm(b"<11>app: " + b"x" * 5000)
    assert alarm is not None
    assert len(alarm.summary) == 500
