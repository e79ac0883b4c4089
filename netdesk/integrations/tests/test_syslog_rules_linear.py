"""Every syslog state rule, alarm-name pattern and the parser take time in
proportion to the message: a 64 KiB line shaped to make a regular expression
backtrack (runs of one character, a rule's own words repeated) is handled in
well under a second. Syslog faces devices and is unauthenticated, so a slow
pattern is a way to make the listener deaf."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from netdesk.integrations.syslog.mapping import DEFAULT_STATE_RULES, StateRule, syslog_to_alarm
from netdesk.integrations.syslog.parser import SyslogParseError, parse_syslog

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LINE = 65_000
# Backtracking patterns took seconds to minutes on these lines; linear ones
# take milliseconds. The bound leaves room for a loaded test machine.
SLOWEST = 0.5

# A message each default rule matches; the adversarial lines are cut from it.
SAMPLES = {
    0: "%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to administratively down",
    1: "SNMP_TRAP_LINK_DOWN: ifIndex 545, ifAdminStatus up(1), ifOperStatus down(2), "
    "ifName ge-0/0/0",
    2: "%BGP-5-ADJCHANGE: neighbor 192.0.2.1 vpn vrf CUSTOMER-A Down",
    3: "kernel: eth0.100: NIC Link is Down",
    4: "Fan tray 1 alarm cleared",
}


def adversarial_lines(sample: str) -> Iterator[str]:
    """64 KiB lines from a matching sample: each prefix repeated, each prefix
    followed by a run of its last character, and a run of each character."""
    for cut in range(1, len(sample) + 1):
        prefix = sample[:cut]
        yield (prefix * (LINE // cut + 1))[:LINE]
        yield prefix + prefix[-1] * (LINE - cut)
    for char in sorted(set(sample)):
        yield char * LINE


def test_every_default_rule_has_a_sample_it_matches() -> None:
    assert sorted(SAMPLES) == list(range(len(DEFAULT_STATE_RULES)))
    for index, rule in enumerate(DEFAULT_STATE_RULES):
        assert rule.pattern.search(SAMPLES[index]) is not None, index


def slowest(lines: Iterator[str], handle: object) -> tuple[float, str]:
    assert callable(handle)
    worst, worst_line = 0.0, ""
    for line in lines:
        started = time.perf_counter()
        handle(line)
        took = time.perf_counter() - started
        if took > worst:
            worst, worst_line = took, line
        if took > SLOWEST:
            break  # one is enough to fail; the rest could take minutes
    return worst, worst_line


@pytest.mark.parametrize("index", range(len(DEFAULT_STATE_RULES)))
def test_state_rule_is_linear_on_a_64_kib_line(index: int) -> None:
    rule: StateRule = DEFAULT_STATE_RULES[index]
    worst, line = slowest(adversarial_lines(SAMPLES[index]), rule.pattern.search)
    assert worst < SLOWEST, f"rule {index} took {worst:.2f}s on {line[:60]!r}…"


@pytest.mark.parametrize("index", range(len(DEFAULT_STATE_RULES)))
def test_whole_message_mapping_is_linear_on_a_64_kib_datagram(index: int) -> None:
    def handle(line: str) -> None:
        for data in (f"<11>{line}", f"<11>1 - host app - - - {line}"):
            try:
                message = parse_syslog(data.encode(), received_at=NOW)
            except SyslogParseError:
                continue  # refused quickly is fine too (a line of spaces)
            syslog_to_alarm(message, peer="192.0.2.9", received_at=NOW)

    worst, line = slowest(adversarial_lines(SAMPLES[index]), handle)
    assert worst < SLOWEST, f"mapping took {worst:.2f}s on {line[:60]!r}…"
