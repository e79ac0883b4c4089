"""HTTP alarm formats → `AlarmIn`: the Prometheus Alertmanager webhook
(version 4) and NetDesk's generic JSON alarm. Each item is checked on its
own: a bad item is refused with its index, field, value and what is
accepted, and the good ones in the same batch are still taken in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from netdesk.core.text import find_unstorable, replace_unstorable
from netdesk.noc.models import AlarmSeverity, AlarmSource
from netdesk.noc.services.alarms import AlarmIn

SEVERITY_NAMES = {
    "critical": AlarmSeverity.CRITICAL,
    "emergency": AlarmSeverity.CRITICAL,
    "alert": AlarmSeverity.CRITICAL,
    "major": AlarmSeverity.MAJOR,
    "error": AlarmSeverity.MAJOR,
    "high": AlarmSeverity.MAJOR,
    "minor": AlarmSeverity.MINOR,
    "medium": AlarmSeverity.MINOR,
    "warning": AlarmSeverity.WARNING,
    "low": AlarmSeverity.WARNING,
    "info": AlarmSeverity.INFO,
    "informational": AlarmSeverity.INFO,
    "notice": AlarmSeverity.INFO,
    "none": AlarmSeverity.INFO,
}
ACCEPTED_SEVERITIES = f"1 to 5 or one of {', '.join(sorted(SEVERITY_NAMES))}"
# Alertmanager labels that name the element, in order of preference.
ELEMENT_LABELS = ("element", "device", "instance", "host", "hostname", "node")
MAX_ALARMS = 5000
GENERIC_FIELDS = ("name", "element", "severity", "state", "at", "summary", "labels", "fingerprint")


@dataclass(frozen=True)
class Refusal:
    index: int
    field: str
    value: Any
    accepted: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "field": self.field,
            "value": self.value,
            "accepted": self.accepted,
            "message": self.message,
        }


class ItemRefused(Exception):
    def __init__(self, field: str, value: Any, accepted: str, message: str) -> None:
        super().__init__(message)
        self.field, self.value, self.accepted, self.message = field, value, accepted, message


def _severity(raw: Any, field: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 5:
        return raw
    if isinstance(raw, str) and raw.strip().lower() in SEVERITY_NAMES:
        return int(SEVERITY_NAMES[raw.strip().lower()])
    raise ItemRefused(field, raw, ACCEPTED_SEVERITIES, f"Unknown severity {raw!r}.")


def _time(raw: Any, field: str, default: datetime) -> datetime:
    if raw is None or raw == "":
        return default
    if not isinstance(raw, str):
        raise ItemRefused(field, raw, "an ISO 8601 date-time", f"{field} is not a date-time.")
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ItemRefused(
            field, raw, "an ISO 8601 date-time", f"{field} {raw!r} is not a date-time."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ItemRefused(field, raw, "a date-time in years 1–9999", "Out of range.") from None


def _text(raw: Any, field: str, *, required: bool, limit: int = 200) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()):
        raise ItemRefused(field, raw, f"a text of 1 to {limit} characters", f"{field} is missing.")
    return raw.strip()[:limit]


def _labels(raw: Any, field: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) for k in raw):
        raise ItemRefused(field, raw, "an object of text labels", f"{field} is not an object.")
    labels = {k[:100]: str(v)[:500] for k, v in raw.items()}
    if len(json.dumps(labels)) > 10_000:
        raise ItemRefused(field, "…", "labels up to 10,000 characters", "Too many labels.")
    return labels


@dataclass(frozen=True)
class Repair:
    """Text of an alarm the database cannot store (NUL, unpaired
    surrogates), replaced by U+FFFD so that the alarm is still taken in."""

    index: int
    field: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "field": self.field,
            "message": f"{self.problem.removesuffix('; remove it')}; taken in with U+FFFD in its place",
        }


def _repaired(value: Any) -> tuple[Any, int]:
    """`value` (nested dicts and lists) with unstorable characters replaced,
    and how many were."""
    if isinstance(value, str):
        return replace_unstorable(value)
    if isinstance(value, dict):
        total, out = 0, {}
        for key, child in value.items():
            new_key, in_key = _repaired(key)
            new_child, in_child = _repaired(child)
            out[new_key] = new_child
            total += in_key + in_child
        return out, total
    if isinstance(value, list):
        pairs = [_repaired(child) for child in value]
        return [child for child, _ in pairs], sum(count for _, count in pairs)
    return value, 0


def parse_items(
    items: Sequence[Any], parse_one: Any, field: str, repairs: list[Repair] | None = None
) -> tuple[list[AlarmIn], list[Refusal]]:
    """Parse each alarm on its own. A device's alarm must not be lost for a
    stray NUL in its text: such text is replaced (the alarm is labelled
    nul_replaced, and `repairs` names the item and field), as the syslog
    and SNMP listeners do."""
    good: list[AlarmIn] = []
    refused: list[Refusal] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ItemRefused(field, item, "an object", "Each alarm must be an object.")
            found = find_unstorable(item)
            replaced = 0
            if found:
                item, replaced = _repaired(item)
                for place in found:
                    path = ".".join(str(part) for part in place.path)
                    if repairs is not None:
                        repairs.append(Repair(index, f"{field}[{index}].{path}", place.problem))
            alarm = parse_one(item)
            if replaced:
                alarm.labels["nul_replaced"] = str(replaced)
            good.append(alarm)
        except ItemRefused as error:
            refused.append(
                Refusal(
                    index,
                    f"{field}[{index}].{error.field}",
                    error.value,
                    error.accepted,
                    error.message,
                )
            )
    return good, refused


def alertmanager_alarm(item: dict[str, Any], now: datetime) -> AlarmIn:
    labels = _labels(item.get("labels"), "labels")
    annotations = _labels(item.get("annotations"), "annotations")
    status = item.get("status")
    if status not in ("firing", "resolved"):
        raise ItemRefused("status", status, "firing or resolved", f"Unknown status {status!r}.")
    name = labels.get("alertname", "")
    if not name:
        raise ItemRefused("labels.alertname", None, "the alert's name", "alertname is missing.")
    element = next((labels[k] for k in ELEMENT_LABELS if labels.get(k)), "")
    # Prometheus's "instance" is host:port; the element is the host.
    if element and element == labels.get("instance") and element.count(":") == 1:
        element = element.split(":", 1)[0]
    severity = _severity(labels.get("severity", "major"), "labels.severity")
    firing = status == "firing"
    at = _time(item.get("startsAt") if firing else item.get("endsAt"), "startsAt", now)
    if not firing and at.year < 2:  # Alertmanager's zero time: not ended yet
        at = now
    fingerprint = item.get("fingerprint")
    return AlarmIn(
        source=AlarmSource.ALERTMANAGER,
        name=name,
        element_ref=element,
        severity=severity,
        firing=firing,
        at=at,
        summary=annotations.get("summary") or annotations.get("description", ""),
        labels=labels,
        fingerprint=f"am:{fingerprint}" if isinstance(fingerprint, str) and fingerprint else "",
    )


def generic_fingerprint_fields() -> tuple[str, ...]:
    """Which fields identify "the same alarm" (NETDESK_ALARM_FINGERPRINT)."""
    return tuple(getattr(settings, "NETDESK_ALARM_FINGERPRINT", ("element", "name")))


def generic_alarm(item: dict[str, Any], now: datetime) -> AlarmIn:
    unknown = sorted(set(item) - set(GENERIC_FIELDS))
    if unknown:
        raise ItemRefused(unknown[0], item[unknown[0]], ", ".join(GENERIC_FIELDS), "Unknown field.")
    name = _text(item.get("name"), "name", required=True)
    element = _text(item.get("element"), "element", required=True)
    state = item.get("state", "firing")
    if state not in ("firing", "cleared"):
        raise ItemRefused("state", state, "firing or cleared", f"Unknown state {state!r}.")
    labels = _labels(item.get("labels"), "labels")
    fingerprint = _text(item.get("fingerprint"), "fingerprint", required=False)
    if not fingerprint:
        values = {"name": name, "element": element, **labels}
        parts = [str(values.get(key, "")) for key in generic_fingerprint_fields()]
        fingerprint = "generic:" + ":".join(parts)
    return AlarmIn(
        source=AlarmSource.GENERIC,
        name=name,
        element_ref=element,
        severity=_severity(item.get("severity", "major"), "severity"),
        firing=state == "firing",
        at=_time(item.get("at"), "at", now),
        summary=_text(item.get("summary"), "summary", required=False, limit=500),
        labels=labels,
        fingerprint=fingerprint,
    )
