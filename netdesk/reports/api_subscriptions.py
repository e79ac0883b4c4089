"""Scheduled reports in the API: list (one's own; a manager's: all),
subscribe, change, remove, and send one now to try it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from netdesk.accounts.models import User
from netdesk.accounts.permissions import user_of
from netdesk.core.errors import ValidationFailed
from netdesk.core.schemas import InputSchema, OutputSchema, answers
from netdesk.reports.models import ReportSubscription
from netdesk.reports.subscribable import REPORTS
from netdesk.reports.subscriptions import (
    FORMATS,
    SubscriptionFields,
    fields_of,
    subscription_create,
    subscription_delete,
    subscription_for,
    subscription_send_now,
    subscription_update,
    subscriptions_visible_to,
)

router = Router(tags=["reports"])

REPORT_HELP = f"one of {', '.join(sorted(REPORTS))}"


class SubscriptionOut(OutputSchema):
    id: int
    report: str
    params: dict[str, Any]
    frequency: str
    hour: int
    weekday: int | None
    day_of_month: int | None
    formats: list[str]
    skip_when_empty: bool
    recipient: str | None = Field(description="the recipient's user name")
    address: str = Field(description="a bare address (the report read as created_by)")
    created_by: str
    is_active: bool
    next_run_at: datetime
    last_run_at: datetime | None
    last_outcome: str


class SubscriptionIn(InputSchema):
    report: str = Field(max_length=40, description=REPORT_HELP)
    params: dict[str, Any] = Field(default_factory=dict)
    frequency: str = Field(max_length=10, description="daily, weekly or monthly")
    hour: int = Field(7, description="local hour, 0-23")
    weekday: int | None = Field(None, description="weekly: 0 (Monday) to 6 (Sunday)")
    day_of_month: int | None = Field(None, description="monthly: 1 to 28")
    formats: list[str] = Field(default_factory=lambda: ["csv"], description=str(FORMATS))
    skip_when_empty: bool = False
    recipient: str | None = Field(
        None, max_length=150, description="a user name (default: yourself)"
    )
    address: str = Field("", max_length=254, description="or an e-mail address (managers)")
    is_active: bool = True


class SubscriptionPatchIn(InputSchema):
    report: str | None = Field(None, max_length=40)
    params: dict[str, Any] | None = None
    frequency: str | None = Field(None, max_length=10)
    hour: int | None = None
    weekday: int | None = None
    day_of_month: int | None = None
    formats: list[str] | None = None
    skip_when_empty: bool | None = None
    recipient: str | None = Field(None, max_length=150)
    address: str | None = Field(None, max_length=254)
    is_active: bool | None = None


def _out(subscription: ReportSubscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "report": subscription.report,
        "params": subscription.params,
        "frequency": subscription.frequency,
        "hour": subscription.hour,
        "weekday": subscription.weekday,
        "day_of_month": subscription.day_of_month,
        "formats": subscription.formats,
        "skip_when_empty": subscription.skip_when_empty,
        "recipient": subscription.recipient.username if subscription.recipient else None,
        "address": subscription.address,
        "created_by": subscription.created_by.username,
        "is_active": subscription.is_active,
        "next_run_at": subscription.next_run_at,
        "last_run_at": subscription.last_run_at,
        "last_outcome": subscription.last_outcome,
    }


def _user_named(name: str | None) -> User | None:
    if not name:
        return None
    found = User.objects.filter(username=name).first()
    if found is None:
        raise ValidationFailed(
            f"No user is called {name!r}.",
            field="recipient",
            value=name,
            accepted="an existing user name",
        )
    return found


@router.get(
    "/subscriptions",
    response=answers(list[SubscriptionOut]),
    summary="Scheduled reports: yours (a manager: every one)",
)
def subscriptions_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(s) for s in subscriptions_visible_to(user_of(request))]


@router.post(
    "/subscriptions",
    response=answers(SubscriptionOut, 201),
    summary="Subscribe to a report mailed on a schedule",
)
def subscriptions_create(request: HttpRequest, payload: SubscriptionIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    values = payload.model_dump()
    values["recipient"] = _user_named(payload.recipient)
    made = subscription_create(actor=user, fields=SubscriptionFields(**values))
    return Status(201, _out(made))


@router.patch(
    "/subscriptions/{subscription_id}",
    response=answers(SubscriptionOut),
    summary="Change a scheduled report (the fields given)",
)
def subscriptions_patch(
    request: HttpRequest, subscription_id: int, payload: SubscriptionPatchIn
) -> dict[str, Any]:
    user = user_of(request)
    current = subscription_for(user=user, subscription_id=subscription_id)
    # null clears only what may be empty; elsewhere it leaves the field as it is.
    changes = {
        name: value
        for name, value in payload.model_dump(exclude_unset=True).items()
        if value is not None or name in ("weekday", "day_of_month", "recipient")
    }
    if "recipient" in changes:
        changes["recipient"] = _user_named(changes["recipient"])
        changes.setdefault("address", "")
    elif changes.get("address"):
        changes["recipient"] = None
    fields = fields_of(current, **changes)
    return _out(subscription_update(actor=user, subscription_id=current.pk, fields=fields))


@router.delete(
    "/subscriptions/{subscription_id}",
    response=answers(None, 204),
    summary="Stop a scheduled report",
)
def subscriptions_delete(request: HttpRequest, subscription_id: int) -> Status[None]:
    subscription_delete(actor=user_of(request), subscription_id=subscription_id)
    return Status(204, None)


@router.post(
    "/subscriptions/{subscription_id}/send",
    response=answers(SubscriptionOut),
    summary="Send a scheduled report now (its schedule unchanged); last_outcome says what happened",
)
def subscriptions_send(request: HttpRequest, subscription_id: int) -> dict[str, Any]:
    sent = subscription_send_now(actor=user_of(request), subscription_id=subscription_id)
    return _out(sent)
