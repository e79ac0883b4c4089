"""The phone system (CTI): call events from the PBX, screen pop on the
answering agent's screen, the call log and callbacks, the IVR's outage
lookup.

`/cti/<token>` speaks Zammad's generic CTI: the PBX authenticates with the
token in the path (no session, no bearer token), and posts JSON or a form."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.accounts.throttling import client_address
from netdesk.config import parse_rate
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.ratelimit import rate_count_bump
from netdesk.core.refusals import PROBLEM, problem_body
from netdesk.core.schemas import MAX_ID, IsoDateTime, OutputSchema, answers
from netdesk.core.text import ACCEPTED, find_unstorable, replace_unstorable
from netdesk.phone.models import CallDirection, CallOutcome, CtiEndpoint
from netdesk.phone.selectors import (
    CALLS_PAGE_MAX,
    CallFilter,
    call_page,
    call_row,
    cti_endpoint_for_token,
    outage_notice_counts,
)
from netdesk.phone.services.events import cti_event_keep, cti_event_receive
from netdesk.phone.services.lookup import NUMBER_MAX, caller_lookup

logger = logging.getLogger("netdesk.phone")

router = Router(tags=["phone"])

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
NO_SUCH_ENDPOINT = "The token opens no CTI endpoint: it is unknown, or its endpoint was revoked."


class CallEventOut(OutputSchema):
    call: str
    state: Literal["ringing", "answered", "ended"]
    outcome: str | None


class CallerCustomerOut(OutputSchema):
    id: int
    name: str
    account_number: str
    segment: str
    language: str


class CallerOut(OutputSchema):
    customer: CallerCustomerOut | None
    known_outage: bool
    incident: str | None
    message: str


class CallOut(OutputSchema):
    id: int
    call_id: str
    from_: str = Field(..., alias="from")
    to: str
    direction: str
    customer: int | None
    answered_by: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    outcome: str | None
    ticket: str | None
    heard_outage: str | None


class CallPage(OutputSchema):
    items: list[CallOut]
    next: str | None


class CallListQuery(Schema):
    outcome: Literal[tuple(CallOutcome.values)] | None = None  # type: ignore[valid-type]
    direction: Literal[tuple(CallDirection.values)] | None = None  # type: ignore[valid-type]
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    callbacks: bool = Field(
        False, description="only missed or abandoned inbound calls nobody called back"
    )
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=CALLS_PAGE_MAX)


def _too_many(request: HttpRequest, *, detail: str, retry_after: float) -> HttpResponse:
    body = problem_body(
        request, status=429, title="Too many requests", detail=detail, kind="too-many-requests"
    )
    response = JsonResponse(body, status=429, content_type=PROBLEM)
    response["Retry-After"] = str(max(1, round(retry_after)))
    return response


def _over_rate(key: str, rate: str) -> float | None:
    """Count one request for `key`; the seconds to wait when past `rate`."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    if rate_count_bump(key=f"{key}:{period}", period_start=window) <= limit:
        return None
    return (window + 1) * period - now


def _unknown_token(token: str) -> NotFound:
    return NotFound(
        NO_SUCH_ENDPOINT,
        field="token",
        value=token[:10] + "…",
        accepted="the token 'netdesk cti endpoint create' printed, of an endpoint not revoked",
    )


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return replace_unstorable(value)[0]
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def event_payload(request: HttpRequest) -> dict[str, Any]:
    """The posted event: a JSON object, or a form whose repeated fields
    (user[]) become lists."""
    content_type = request.content_type or ""
    if content_type in FORMS:
        return {
            name: values if len(values) > 1 or name.endswith("[]") else values[0]
            for name, values in request.POST.lists()
        }
    if content_type == "application/json" or not content_type:
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise ValidationFailed(
                f"The body is not JSON: {error}.",
                field="body",
                value=request.body[:200].decode("utf-8", "replace"),
                accepted="a JSON object, or a form (application/x-www-form-urlencoded)",
            ) from None
        if not isinstance(data, dict):
            raise ValidationFailed(
                f"The body is a JSON {type(data).__name__}, not an object.",
                field="body",
                value=str(data)[:200],
                accepted="a JSON object of the event's fields",
            )
        return data
    raise ValidationFailed(
        f"Content-Type {content_type!r} is not one the desk reads events in.",
        field="Content-Type",
        value=content_type,
        accepted=["application/json", *FORMS],
    )


@router.post(
    "/cti/{token}",
    auth=None,
    response=answers(CallEventOut),
    summary="A call event from the PBX (Zammad generic CTI: newCall, answer, hangup)",
)
def cti_event(request: HttpRequest, token: str) -> Any:
    endpoint = cti_endpoint_for_token(token)
    refused = _throttled(request, endpoint)
    if refused is not None:
        return refused
    try:
        payload = event_payload(request)
    except ValidationFailed as error:
        kept = {"body": request.body[:2000].decode("utf-8", "replace")}
        cti_event_keep(endpoint=endpoint, payload=_storable(kept), problem=error.message)
        if endpoint is None:
            raise _unknown_token(token) from None
        raise
    unstorable = find_unstorable(payload, limit=1)
    if unstorable:
        found = unstorable[0]
        where = ".".join(str(part) for part in found.path) or "body"
        problem = f"{where} {found.problem}"
        cti_event_keep(endpoint=endpoint, payload=_storable(payload), problem=problem)
        if endpoint is None:
            raise _unknown_token(token)
        raise ValidationFailed(problem, field=where, value=found.excerpt, accepted=ACCEPTED)
    if endpoint is None:
        cti_event_keep(endpoint=None, payload=payload, problem=NO_SUCH_ENDPOINT)
        raise _unknown_token(token)
    result = cti_event_receive(endpoint=endpoint, payload=payload)
    call = result.call
    return {"call": call.call_id, "state": result.state, "outcome": call.outcome or None}


def _throttled(request: HttpRequest, endpoint: CtiEndpoint | None) -> HttpResponse | None:
    """429 past the endpoint's rate; requests whose token opens no endpoint
    are counted per address, so guessing tokens soon stops being kept."""
    if endpoint is None:
        rate = settings.NETDESK_CTI_UNKNOWN_RATE
        wait = _over_rate(f"cti-unknown:{client_address(request)}", rate)
        who = "from this address with a token that opens no endpoint"
    else:
        rate = settings.NETDESK_CTI_RATE
        wait = _over_rate(f"cti:{endpoint.pk}", rate)
        who = f"for the endpoint {endpoint.name!r}"
    if wait is None:
        return None
    return _too_many(
        request,
        detail=f"More than {rate.replace('/', ' requests per ')} {who}; "
        "wait as Retry-After says, then go on.",
        retry_after=wait,
    )


class CallerQuery(Schema):
    number: str = Field(..., max_length=NUMBER_MAX, description="the caller's number")


@router.get(
    "/cti/{token}/caller",
    auth=None,
    response=answers(CallerOut),
    summary="Who is calling, and a known outage on their services (for the IVR)",
)
def cti_caller(request: HttpRequest, token: str, query: Query[CallerQuery]) -> Any:
    endpoint = cti_endpoint_for_token(token)
    refused = _throttled(request, endpoint)
    if refused is not None:
        return refused
    if endpoint is None:
        raise _unknown_token(token)
    return caller_lookup(endpoint=endpoint, number=query.number).as_dict()


@router.get(
    "/calls",
    response=answers(CallPage),
    by_alias=True,
    summary="The call log, newest first (keyset pagination; callbacks=true: the callback list)",
)
def list_calls(request: HttpRequest, query: Query[CallListQuery]) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.CALL_VIEW)
    rows, next_cursor = call_page(
        user=user,
        filters=CallFilter(
            outcome=query.outcome,
            direction=query.direction,
            customer=query.customer,
            callbacks_only=query.callbacks,
        ),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": [call_row(call) for call in rows], "next": next_cursor}


class OutageNoticeOut(OutputSchema):
    incident: str
    callers_told: int
    still_called: int
    answered: int
    abandoned: int


class OutageNoticesOut(OutputSchema):
    since: datetime
    incidents: list[OutageNoticeOut]


class OutageNoticesQuery(Schema):
    since: IsoDateTime | None = Field(None, description="default: 24 hours ago")


@router.get(
    "/calls/outage-notices",
    response=answers(OutageNoticesOut),
    summary="Per incident: callers the IVR told of it, and how many still called",
)
def outage_notices(request: HttpRequest, query: Query[OutageNoticesQuery]) -> dict[str, Any]:
    require(user_of(request), Action.CALL_VIEW)
    since = query.since or timezone.now() - timedelta(hours=24)
    counts = outage_notice_counts(since=since)
    return {"since": since, "incidents": [count.__dict__ for count in counts]}
