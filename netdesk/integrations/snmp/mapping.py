"""From a received trap to an alarm. Works on plain strings (dotted OIDs and
rendered values), so it needs neither pysnmp nor a network to test."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from netdesk.noc.models.alarms import AlarmSeverity, AlarmSource
from netdesk.noc.services.alarms import AlarmIn

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAP_ENTERPRISE = "1.3.6.1.6.3.1.1.4.3.0"
# Set by a proxy or by the v1-to-v2 translation: the agent that raised the
# trap, which is not always the address the datagram came from.
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
# The v1-to-v2 translation copies the community here; it never leaves the
# listener (not in labels, not in summaries).
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"
_NOT_LABELS = frozenset({SYS_UPTIME, SNMP_TRAP_OID, SNMP_TRAP_COMMUNITY, SNMP_TRAP_ADDRESS})

IF_INDEX = "1.3.6.1.2.1.2.2.1.1"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
_IF_COLUMNS = (IF_INDEX, IF_ADMIN_STATUS, IF_OPER_STATUS, IF_DESCR, IF_NAME, IF_ALIAS)
BGP_PEER_REMOTE_ADDR = "1.3.6.1.2.1.15.3.1.7"
BGP_PEER_LAST_ERROR = "1.3.6.1.2.1.15.3.1.14"
BGP_PEER_STATE = "1.3.6.1.2.1.15.3.1.2"
_BGP_COLUMNS = (BGP_PEER_STATE, BGP_PEER_LAST_ERROR, BGP_PEER_REMOTE_ADDR)

SUMMARY_MAX = 500
LABEL_VALUE_MAX = 200
VARBIND_LABELS_MAX = 32


class TrapError(ValueError):
    """A notification that is not a usable trap (reason is counted)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class TrapRule:
    """What one trap OID means.

    A trap with a `topic` raises or clears a problem that another trap clears
    or raises; both carry the same topic, and the fingerprint is
    `snmp:<agent>:<subject>:<topic>`, where the subject is the table index found
    in the first varbind under one of `subject_columns` (the ifIndex for link
    traps, the peer address for BGP). So a linkUp clears exactly the linkDown of
    the same interface on the same agent.
    """

    name: str
    severity: int
    firing: bool = True
    topic: str = ""
    subject_columns: tuple[str, ...] = ()


# SNMPv2-MIB generic traps (RFC 3418) and the BGP4-MIB pair (RFC 4273).
STANDARD_TRAPS: Mapping[str, TrapRule] = {
    "1.3.6.1.6.3.1.1.5.1": TrapRule("coldStart", AlarmSeverity.MINOR),
    "1.3.6.1.6.3.1.1.5.2": TrapRule("warmStart", AlarmSeverity.WARNING),
    "1.3.6.1.6.3.1.1.5.3": TrapRule(
        "linkDown", AlarmSeverity.MAJOR, topic="link", subject_columns=_IF_COLUMNS
    ),
    "1.3.6.1.6.3.1.1.5.4": TrapRule(
        "linkUp", AlarmSeverity.INFO, firing=False, topic="link", subject_columns=_IF_COLUMNS
    ),
    "1.3.6.1.6.3.1.1.5.5": TrapRule("authenticationFailure", AlarmSeverity.WARNING),
    "1.3.6.1.6.3.1.1.5.6": TrapRule("egpNeighborLoss", AlarmSeverity.MAJOR),
    "1.3.6.1.2.1.15.0.1": TrapRule(
        "bgpEstablishedNotification",
        AlarmSeverity.INFO,
        firing=False,
        topic="bgp",
        subject_columns=_BGP_COLUMNS,
    ),
    "1.3.6.1.2.1.15.0.2": TrapRule(
        "bgpBackwardTransNotification",
        AlarmSeverity.MAJOR,
        topic="bgp",
        subject_columns=_BGP_COLUMNS,
    ),
    # The same pair as SMIv1 traps (enterprise bgp, specific 1 and 2).
    "1.3.6.1.2.1.15.7.1": TrapRule(
        "bgpEstablished",
        AlarmSeverity.INFO,
        firing=False,
        topic="bgp",
        subject_columns=_BGP_COLUMNS,
    ),
    "1.3.6.1.2.1.15.7.2": TrapRule(
        "bgpBackwardTransition", AlarmSeverity.MAJOR, topic="bgp", subject_columns=_BGP_COLUMNS
    ),
}
# Any other trap: named by its OID, raised as a warning, never cleared.
ENTERPRISE_SEVERITY = AlarmSeverity.WARNING
_IF_ADMIN_DOWN = {"2", "down", "down(2)"}
_UNSET_ADDRESSES = {"", "0.0.0.0", "::"}  # noqa: S104


@dataclass(frozen=True)
class TrapIn:
    """A notification as received, after authentication."""

    peer: str  # address the datagram came from
    varbinds: tuple[tuple[str, str], ...]  # (dotted OID, rendered value), in order
    received_at: datetime  # aware
    version: str  # "v1", "v2c" or "v3"
    engine_id: str = ""  # v3: context engine id, hex


def trap_to_alarm(trap: TrapIn, *, rules: Mapping[str, TrapRule] | None = None) -> AlarmIn:
    """The alarm a trap raises or clears. Raises TrapError if it has no trap OID."""
    rules = STANDARD_TRAPS if rules is None else rules
    values = dict(trap.varbinds)
    trap_oid = values.get(SNMP_TRAP_OID, "").strip()
    if not trap_oid:
        raise TrapError("missing snmpTrapOID", "the second varbind must be snmpTrapOID.0")
    if not _is_oid(trap_oid):
        raise TrapError("bad snmpTrapOID", f"{trap_oid[:60]!r} is not an OID")
    agent = values.get(SNMP_TRAP_ADDRESS, "").strip()
    if agent in _UNSET_ADDRESSES:
        # v1 agents that do not fill in agent-addr send 0.0.0.0.
        agent = trap.peer
    element_ref = values.get(SYS_NAME, "").strip() or agent
    rule = rules.get(trap_oid)
    labels = {
        "agent": agent,
        "peer": trap.peer,
        "version": trap.version,
        "trap_oid": trap_oid,
    }
    if trap.engine_id:
        labels["engine_id"] = trap.engine_id
    if rule is None:
        return AlarmIn(
            source=AlarmSource.SNMP.value,
            name=trap_oid[:200],
            element_ref=element_ref[:200],
            severity=int(ENTERPRISE_SEVERITY),
            firing=True,
            at=trap.received_at,
            summary=_summary(f"trap {trap_oid} from {element_ref}", trap.varbinds),
            labels=_with_varbinds(labels, trap.varbinds),
        )
    severity = int(rule.severity)
    subject = _subject(trap.varbinds, rule.subject_columns)
    if subject:
        labels["subject"] = subject
    if rule.subject_columns == _IF_COLUMNS and subject:
        severity = _link_details(rule, subject, values, labels, severity)
    fingerprint = ""
    if rule.topic:
        fingerprint = f"snmp:{agent}:{subject}:{rule.topic}"[:200]
    about = f" {labels.get('ifName') or labels.get('ifDescr') or subject}" if subject else ""
    return AlarmIn(
        source=AlarmSource.SNMP.value,
        name=rule.name,
        element_ref=element_ref[:200],
        severity=severity,
        firing=rule.firing,
        at=trap.received_at,
        summary=_summary(f"{rule.name}{about} on {element_ref}", trap.varbinds),
        labels=_with_varbinds(labels, trap.varbinds),
        fingerprint=fingerprint,
    )


def _link_details(
    rule: TrapRule, if_index: str, values: dict[str, str], labels: dict[str, str], severity: int
) -> int:
    """Interface names as labels; a link an operator shut is only a warning."""
    for column, label in ((IF_NAME, "ifName"), (IF_DESCR, "ifDescr"), (IF_ALIAS, "ifAlias")):
        value = values.get(f"{column}.{if_index}", "").strip()
        if value:
            labels[label] = value[:LABEL_VALUE_MAX]
    admin = values.get(f"{IF_ADMIN_STATUS}.{if_index}", "").strip().lower()
    if admin:
        labels["ifAdminStatus"] = admin
    if rule.firing and admin in _IF_ADMIN_DOWN:
        return max(severity, int(AlarmSeverity.WARNING))
    return severity


def _subject(varbinds: tuple[tuple[str, str], ...], columns: tuple[str, ...]) -> str:
    for column in columns:
        prefix = f"{column}."
        for oid, _value in varbinds:
            if oid.startswith(prefix) and len(oid) > len(prefix):
                return oid[len(prefix) :]
    return ""


def _is_oid(text: str) -> bool:
    parts = text.split(".")
    return len(parts) >= 2 and all(part.isdigit() for part in parts)


def _summary(head: str, varbinds: tuple[tuple[str, str], ...]) -> str:
    shown = [f"{oid}={value}" for oid, value in varbinds if oid not in _NOT_LABELS]
    text = f"{head}: {', '.join(shown)}" if shown else head
    return text[:SUMMARY_MAX]


def _with_varbinds(labels: dict[str, str], varbinds: tuple[tuple[str, str], ...]) -> dict[str, str]:
    count = 0
    for oid, value in varbinds:
        if oid in _NOT_LABELS:
            continue
        if count >= VARBIND_LABELS_MAX:
            break
        labels.setdefault(oid, value[:LABEL_VALUE_MAX])
        count += 1
    return labels
