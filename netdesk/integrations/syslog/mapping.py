"""From a parsed syslog message to an alarm: its name, severity, whether it
raises or clears, and the fingerprint that pairs a clear with its raise."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from netdesk.integrations.syslog.parser import SyslogMessage
from netdesk.noc.models.alarms import AlarmSeverity, AlarmSource
from netdesk.noc.services.alarms import AlarmIn

# Syslog has eight severities, alarms five. Emergency, alert and critical are
# all "critical"; nothing in syslog means "minor", so that level stays unused.
SYSLOG_SEVERITIES: Mapping[int, int] = {
    0: AlarmSeverity.CRITICAL,  # emergency
    1: AlarmSeverity.CRITICAL,  # alert
    2: AlarmSeverity.CRITICAL,  # critical
    3: AlarmSeverity.MAJOR,  # error
    4: AlarmSeverity.WARNING,  # warning
    5: AlarmSeverity.INFO,  # notice
    6: AlarmSeverity.INFO,  # informational
    7: AlarmSeverity.INFO,  # debug
}

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "audit", "alert", "clock",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip

# Cisco's %FACILITY[-SUBFACILITY]-SEVERITY-MNEMONIC, the most useful alarm
# name a device gives; Juniper starts its messages with an upper-case event id.
_MNEMONIC = re.compile(r"%[A-Z0-9_]+(?:-[A-Z0-9_]+)*?-[0-7]-[A-Z0-9_]+")
_EVENT_ID = re.compile(r"([A-Z][A-Z0-9_]{2,63}):")

SUMMARY_MAX = 500
# State rules read the start of a message only: devices say what changed in
# the first line, and whatever a sender appends cannot make the rules slow.
STATE_TEXT_MAX = 2048
LABEL_VALUE_MAX = 200
STRUCTURED_LABELS_MAX = 32


@dataclass(frozen=True)
class StateRule:
    """A message pattern that tells a raise from a clear.

    `pattern` is searched in the message text (prefixed by the MSGID when there
    is one). Its group `state` holds the word that says up or down; the rule
    clears when that word, lower-cased, is in `clear_states`. Its optional group
    `subject` names the thing (an interface, a BGP neighbour) so that the raise
    and the clear share a fingerprint: `syslog:<element>:<subject>:<topic>`,
    where the topic is `topic`, or the alarm name when `topic` is empty. Give a
    topic when the raise and the clear carry different names (Juniper's
    SNMP_TRAP_LINK_DOWN / SNMP_TRAP_LINK_UP).
    """

    pattern: re.Pattern[str]
    clear_states: frozenset[str] = frozenset({"up"})
    topic: str = ""


# Each rule does a bounded amount of work at each position of the text, so its
# time grows with the message, not with its square: a subject is at most 64
# characters, a gap between two words of a rule at most 200, and a subject
# without a word before it only starts where a run of its characters starts.
DEFAULT_STATE_RULES: tuple[StateRule, ...] = (
    # Cisco IOS/NX-OS %LINK-3-UPDOWN, %LINEPROTO-5-UPDOWN
    StateRule(
        re.compile(
            r"\bInterface (?P<subject>[^\s,]{1,64}), changed state to "
            r"(?P<state>administratively down|down|up)\b",
            re.IGNORECASE,
        )
    ),
    # Juniper SNMP_TRAP_LINK_DOWN / SNMP_TRAP_LINK_UP
    StateRule(
        re.compile(
            r"\bSNMP_TRAP_LINK_(?P<state>UP|DOWN)\b[^\n]{0,200}?\bifName (?P<subject>[^\s,]{1,64})"
        ),
        topic="link",
    ),
    # Cisco %BGP-5-ADJCHANGE: neighbor 192.0.2.1 Down / Up
    StateRule(
        re.compile(r"\bneighbor (?P<subject>\S{1,64})(?: vpn vrf \S{1,64})? (?P<state>Up|Down)\b")
    ),
    # Linux NIC drivers: "eth0: NIC Link is Down"
    StateRule(
        re.compile(r"(?<![\w./-])(?P<subject>[\w./-]{1,64}):? NIC Link is (?P<state>Up|Down)\b")
    ),
    # Anything else that says it is over; no subject, so the alarm name pairs it.
    StateRule(
        re.compile(r"\b(?P<state>cleared|recovered|restored)\b", re.IGNORECASE),
        clear_states=frozenset({"cleared", "recovered", "restored"}),
    ),
)


@dataclass(frozen=True)
class SyslogMapping:
    """How messages become alarms; the defaults are documented in
    docs/alarm-listeners.md."""

    severities: Mapping[int, int] = field(default_factory=lambda: dict(SYSLOG_SEVERITIES))
    state_rules: tuple[StateRule, ...] = DEFAULT_STATE_RULES
    # Syslog severities above this (less severe) raise no alarm; clears always
    # pass, since an "up" is often logged at notice level or below.
    forward_up_to: int = 5
    # A device clock further off than this is not trusted: the alarm takes the
    # time of receipt and keeps the device's time as a label.
    max_past: timedelta = timedelta(hours=24)
    max_future: timedelta = timedelta(minutes=10)


def alarm_name(message: SyslogMessage) -> str:
    """Cisco mnemonic, else MSGID, else a leading event id, else the tag."""
    mnemonic = _MNEMONIC.search(message.message[:120])
    if mnemonic is not None:
        return mnemonic.group(0)
    if message.msgid:
        return message.msgid
    event_id = _EVENT_ID.match(message.message)
    if event_id is not None:
        return event_id.group(1)
    return message.app_name or "syslog"


def syslog_to_alarm(
    message: SyslogMessage,
    *,
    peer: str,
    received_at: datetime,
    mapping: SyslogMapping | None = None,
) -> AlarmIn | None:
    """The alarm a message raises or clears; None when its severity is below
    the forwarding threshold."""
    mapping = mapping or SyslogMapping()
    element_ref = message.hostname or peer
    name = alarm_name(message)[:200]
    firing, subject, topic = True, "", ""
    text = message.message[:STATE_TEXT_MAX]
    if message.msgid and not text.startswith(message.msgid):
        text = f"{message.msgid} {text}"
    for rule in mapping.state_rules:
        match = rule.pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        firing = (groups.get("state") or "").lower() not in rule.clear_states
        subject = groups.get("subject") or ""
        topic = rule.topic
        break
    if firing and message.severity > mapping.forward_up_to:
        return None
    labels = _labels(message, peer)
    at = received_at
    if message.timestamp is not None:
        if received_at - mapping.max_past <= message.timestamp <= received_at + mapping.max_future:
            at = message.timestamp
        else:
            labels["device_time"] = message.timestamp.isoformat()
    fingerprint = f"syslog:{element_ref}:{subject}:{topic or name}"[:200] if subject else ""
    return AlarmIn(
        source=AlarmSource.SYSLOG.value,
        name=name,
        element_ref=element_ref[:200],
        severity=int(mapping.severities.get(message.severity, AlarmSeverity.INFO)),
        firing=firing,
        at=at.astimezone(UTC),
        summary=(message.message.strip() or name)[:SUMMARY_MAX],
        labels=labels,
        fingerprint=fingerprint,
    )


def _labels(message: SyslogMessage, peer: str) -> dict[str, str]:
    labels = {
        "format": message.format,
        "facility": FACILITIES[message.facility],
        "syslog_severity": str(message.severity),
        "peer": peer,
        "hostname": message.hostname,
        "app_name": message.app_name,
        "procid": message.procid,
        "msgid": message.msgid,
        "nul_replaced": str(message.replaced) if message.replaced else "",
    }
    labels = {key: value for key, value in labels.items() if value}
    count = 0
    for sd_id, params in message.structured_data.items():
        for param, value in params.items():
            if count >= STRUCTURED_LABELS_MAX:
                return labels
            labels[f"{sd_id}.{param}"] = value[:LABEL_VALUE_MAX]
            count += 1
    return labels
