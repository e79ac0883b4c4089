"""Alarm intake: every source (Alertmanager, generic JSON, SNMP traps,
syslog) hands parsed alarms to `alarms_ingest`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class AlarmIn:
    """One alarm as a source reported it, already parsed."""

    source: str  # AlarmSource value
    name: str  # alarm type, e.g. "LinkDown"
    element_ref: str  # element name, management IP or external id
    severity: int  # AlarmSeverity value (1 critical … 5 info)
    firing: bool  # False: the source says it cleared
    at: datetime  # aware
    summary: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""  # empty: derived from source, element_ref and name


@dataclass
class IngestResult:
    received: int = 0
    new: int = 0
    repeated: int = 0
    cleared: int = 0
    suppressed: int = 0
    flapping: int = 0
    incidents: list[str] = field(default_factory=list)  # references opened or grown


def alarms_ingest(*, alarms: Sequence[AlarmIn], now: datetime | None = None) -> IngestResult:
    raise NotImplementedError  # being written


def input_reject(*, source: str, reason: str, excerpt: str = "", peer: str = "") -> None:
    raise NotImplementedError  # being written
