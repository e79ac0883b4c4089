"""NOC endpoints for alarm intake: the Alertmanager webhook and generic
JSON batches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import ValidationFailed
from netdesk.core.schemas import InputSchema, OutputSchema, answers
from netdesk.noc import intake
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
