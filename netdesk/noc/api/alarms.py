"""NOC endpoints for alarms: intake (the Alertmanager webhook and generic
JSON batches) and the list of alarms, the unassigned ones among them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import ValidationFailed
from netdesk.core.schemas import InputSchema, OutputSchema, answers
from netdesk.noc import intake
from netdesk.noc.models import Alarm, AlarmState
from netdesk.noc.selectors import (
    ALARMS_PAGE_MAX,
    AlarmFilter,
    UnassignedReason,
    alarm_page,
    unassigned_reason,
)
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest, input_reject

router = Router()


class RefusalOut(OutputSchema):
    index: int
    field: str
    value: Any
    accepted: str
    message: str


class RepairOut(OutputSchema):
    index: int
    field: str
    message: str


class IntakeOut(OutputSchema):
    received: int
    accepted: int
    refused: list[RefusalOut]
    repaired: list[RepairOut]
    new: int
    repeated: int
    cleared: int
    unmatched_clears: int
    suppressed: int
    flapping: int
    unknown_elements: int
    incidents: list[str]


class AlertmanagerIn(InputSchema):
    """Alertmanager webhook payload, version 4. Alerts are checked one by
    one: a malformed alert is refused on its own."""

    version: str
    status: str = ""
    receiver: str = ""
    groupKey: str = ""
    alerts: list[Any]

    checked_per_item = ("alerts",)


class GenericIn(InputSchema):
    """A batch of alarms. Each alarm: name, element (name, management IP or
    external id), severity (1–5 or critical/major/minor/warning/info),
    state (firing/cleared, default firing), at (ISO 8601, default now),
    summary, labels (object), fingerprint (default: from the fields in
    NETDESK_ALARM_FINGERPRINT, element and name)."""

    alarms: list[Any]

    checked_per_item = ("alarms",)


def _take_in(
    request: HttpRequest,
    good: list[AlarmIn],
    refused: list[intake.Refusal],
    source: str,
    repairs: list[intake.Repair],
) -> dict[str, Any]:
    for refusal in refused[:20]:  # a flood of garbage must not flood the table
        input_reject(
            source=source,
            reason=f"{refusal.field}: {refusal.message}",
            excerpt=repr(refusal.value)[:1000],
            peer=request.META.get("REMOTE_ADDR", ""),
        )
    result = alarms_ingest(alarms=good)
    return {
        "received": len(good) + len(refused),
        "accepted": len(good),
        "refused": [r.as_dict() for r in refused],
        "repaired": [r.as_dict() for r in repairs],
        "new": result.new,
        "repeated": result.repeated,
        "cleared": result.cleared,
        "unmatched_clears": result.unmatched_clears,
        "suppressed": result.suppressed,
        "flapping": result.flapping,
        "unknown_elements": result.unknown_elements,
        "incidents": result.incidents,
    }


def _check_batch(items: list[Any], field: str) -> None:
    if len(items) > intake.MAX_ALARMS:
        raise ValidationFailed(
            f"{len(items)} alarms in one request is too many.",
            field=field,
            value=len(items),
            accepted=f"at most {intake.MAX_ALARMS} per request",
        )


@router.post(
    "/alarms/alertmanager",
    response=answers(IntakeOut, 202),
    summary="Prometheus Alertmanager webhook (version 4)",
)
def alertmanager_webhook(request: HttpRequest, payload: AlertmanagerIn) -> Status[dict[str, Any]]:
    require(user_of(request), Action.ALARM_INGEST)
    if payload.version != "4":
        raise ValidationFailed(
            f"Webhook version {payload.version!r} is not supported.",
            field="version",
            value=payload.version,
            accepted=["4"],
        )
    _check_batch(payload.alerts, "alerts")
    now = timezone.now()
    repairs: list[intake.Repair] = []
    good, refused = intake.parse_items(
        payload.alerts, lambda item: intake.alertmanager_alarm(item, now), "alerts", repairs
    )
    return Status(202, _take_in(request, good, refused, "alertmanager", repairs))


@router.post("/alarms", response=answers(IntakeOut, 202), summary="A batch of generic alarms")
def generic_alarms(request: HttpRequest, payload: GenericIn) -> Status[dict[str, Any]]:
    require(user_of(request), Action.ALARM_INGEST)
    _check_batch(payload.alarms, "alarms")
    now = timezone.now()
    repairs: list[intake.Repair] = []
    good, refused = intake.parse_items(
        payload.alarms, lambda item: intake.generic_alarm(item, now), "alarms", repairs
    )
    return Status(202, _take_in(request, good, refused, "generic", repairs))


class AlarmOut(OutputSchema):
    id: int
    name: str
    element: str | None
    element_ref: str
    severity: str
    state: str
    summary: str
    first_seen: datetime
    last_seen: datetime
    cleared_at: datetime | None
    occurrences: int
    is_flapping: bool
    in_maintenance: bool
    incident: str | None
    unassigned_reason: str | None = Field(
        description="why a firing alarm is in no active incident; null when it is in one"
    )


class AlarmPage(OutputSchema):
    items: list[AlarmOut]
    total: int = Field(description="alarms matching the filters, on every page")
    next: str | None


class AlarmListQuery(Schema):
    state: Literal[tuple(AlarmState.values)] | None = None  # type: ignore[valid-type]
    unassigned: bool = Field(
        False, description="only firing alarms no active incident holds, whatever the reason"
    )
    reason: Literal[tuple(UnassignedReason.values)] | None = Field(  # type: ignore[valid-type]
        None, description="only unassigned alarms for this reason"
    )
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=ALARMS_PAGE_MAX)


def _alarm_row(alarm: Alarm) -> dict[str, Any]:
    reason = unassigned_reason(alarm)
    return {
        "id": alarm.pk,
        "name": alarm.name,
        "element": alarm.element.name if alarm.element else None,
        "element_ref": alarm.element_ref,
        "severity": alarm.get_severity_display().lower(),
        "state": alarm.state,
        "summary": alarm.summary,
        "first_seen": alarm.first_seen,
        "last_seen": alarm.last_seen,
        "cleared_at": alarm.cleared_at,
        "occurrences": alarm.occurrences,
        "is_flapping": alarm.is_flapping,
        "in_maintenance": alarm.suppressed_by_id is not None,
        "incident": alarm.incident.reference if alarm.incident else None,
        "unassigned_reason": reason.value if reason else None,
    }


@router.get(
    "/alarms",
    response=answers(AlarmPage),
    summary="Alarms, newest first (keyset pagination; unassigned=true: those in no active incident)",
)
def alarm_list(request: HttpRequest, query: Query[AlarmListQuery]) -> dict[str, Any]:
    require(user_of(request), Action.INCIDENT_VIEW)
    rows, total, next_cursor = alarm_page(
        filters=AlarmFilter(state=query.state, unassigned=query.unassigned, reason=query.reason),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": [_alarm_row(alarm) for alarm in rows], "total": total, "next": next_cursor}
