"""Demo satisfaction surveys for the resolved tickets of the history,
written in bulk as the survey services would have left them: sent an hour
after the resolution, about a third answered, the rest expired (or still
open for the newest); suppressed by the customer cap, one group's sample,
network incidents and missing addresses. Ratings follow how the ticket
went (first-contact resolution, time to resolve, reopens), so the
satisfaction report has something to show; low ratings have follow-ups,
the older ones done."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, TierKind, User
from netdesk.demo.bulk import IdBlock, reset_sequences
from netdesk.surveys.models import (
    FollowUpState,
    GroupSampling,
    Survey,
    SurveyFollowUp,
    SurveySettings,
    SurveyState,
)
from netdesk.surveys.services import EDIT_WINDOW, public_id_sampled
from netdesk.tickets.choices import Channel
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind

DELAY = timedelta(minutes=60)
EXPIRY = timedelta(days=14)
CAP = timedelta(days=30)
# One group surveys a sample only (the billing desk: many small questions).
SAMPLED_GROUP = TierKind.BILLING
SAMPLED_PERCENT = 50
# Surveys sent since then also ask the 0–10 recommendation.
NPS_SINCE = timedelta(days=60)
ANSWER_SHARE = 0.38
COMMENT_SHARE = 0.45
COMMENTS = {
    "low": [
        "I had to call three times before anyone understood the problem.",
        "The technician did not come in the promised time window.",
        "Nobody told me what was going on for days.",
        "The problem is back again, this is not solved.",
        "Too long on hold, and then I was passed around.",
    ],
    "middle": [
        "It works now, but it took longer than I expected.",
        "Friendly, but I had to explain everything twice.",
        "OK in the end.",
        "The fix was fine; the updates could be clearer.",
    ],
    "high": [
        "Solved on the first call, thank you!",
        "Very friendly and competent, fixed within minutes.",
        "Quick help, clear explanation.",
        "Great service, the router works perfectly again.",
        "Thank you for calling back as promised.",
    ],
}
FOLLOW_UP_NOTES = [
    "Called the customer back and apologised; explained what went wrong.",
    "Reviewed the ticket with the agent; the hand-over to the field team was late.",
    "Customer called back; offered a credit for the days without service.",
    "Discussed in the team meeting: update the customer every day on open faults.",
]


@dataclass
class Past:
    """What the demo knows of a resolved ticket when it writes its survey."""

    ticket_id: int
    public_id: str
    customer_id: int
    contact_id: int | None
    group_id: int
    agent_id: int | None
    category_id: int | None
    segment: str
    address: str
    created_at: datetime
    resolved_at: datetime
    first_contact: bool
    reopened: bool


_DEFAULTS: dict[type[Survey] | type[SurveyFollowUp], dict[str, Any]] = {}


def _row(model: type[Survey] | type[SurveyFollowUp], **values: Any) -> SimpleNamespace:
    """A row to insert: every column's default, then `values` (a plain
    object: a model instance costs more to make than to insert)."""
    if model not in _DEFAULTS:
        _DEFAULTS[model] = {f.attname: f.get_default() for f in model._meta.concrete_fields}
    return SimpleNamespace(**{**_DEFAULTS[model], **values})


def _plain(value: Any, adapt: Any) -> Any:
    """A value the database driver takes: a choice as its text, a time as
    the backend stores it."""
    if isinstance(value, Enum):
        return value.value
    return adapt(value) if adapt is not None else value


def _raw_insert(model: type[Survey] | type[SurveyFollowUp], rows: list[SimpleNamespace]) -> None:
    """Rows written with one executemany per batch: the ORM's bulk_create
    prepares every value through its field and costs a millisecond a row,
    which for the default history is most of a minute. Ids are given."""
    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    names = [f.attname for f in fields]
    dated = {f.attname for f in fields if f.get_internal_type() == "DateTimeField"}
    values = [
        [adapt(getattr(row, n)) if n in dated else getattr(row, n) for n in names] for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(values), 5000):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                values[start : start + 5000],
            )
    reset_sequences([model])


def _resolved_tickets(span: list[int]) -> list[Past]:
    rows = (
        Ticket.objects.filter(pk__range=span, resolved_at__isnull=False)
        .exclude(channel=Channel.INTERNAL)
        # Tickets the live services resolved during the load have theirs.
        .exclude(pk__in=Survey.objects.values("ticket_id"))
        .order_by("resolved_at", "pk")
        .values_list(
            "pk",
            "public_id",
            "customer_id",
            "contact_id",
            "group_id",
            "resolved_by_id",
            "category_id",
            "customer__segment",
            "contact__email",
            "customer__email",
            "created_at",
            "resolved_at",
            "first_contact_resolved",
            "reopen_count",
        )
        .iterator(chunk_size=5000)
    )
    found: list[Past] = []
    for row in rows:
        (pk, public_id, customer, contact, group, agent, category, segment) = row[:8]
        contact_email, customer_email, created_at, resolved_at, first_contact, reopens = row[8:]
        found.append(
            Past(
                ticket_id=pk,
                public_id=public_id,
                customer_id=customer,
                contact_id=contact,
                group_id=group,
                agent_id=agent,
                category_id=category,
                segment=segment,
                address=contact_email or customer_email or "",
                created_at=created_at,
                resolved_at=resolved_at or created_at,
                first_contact=first_contact,
                reopened=reopens > 0,
            )
        )
    return found


def _incidents(span: list[int]) -> dict[int, str]:
    """The network incident each ticket of the history was resolved under."""
    found: dict[int, str] = {}
    events = TicketEvent.objects.filter(
        ticket_id__gte=span[0],
        ticket_id__lte=span[1],
        kind__in=(EventKind.INCIDENT_LINKED, EventKind.INCIDENT_RESOLVED),
    ).values_list("ticket_id", "new_value")
    for ticket_id, reference in events.iterator(chunk_size=5000):
        found[ticket_id] = reference
    return found


def _rating(rng: random.Random, past: Past) -> int:
    """Good for a first-contact resolution, worse with each day it took and
    after a reopen; some noise either way."""
    days = (past.resolved_at - past.created_at).total_seconds() / 86400
    mean = 4.5 if past.first_contact else 3.9
    mean -= min(days, 10) * 0.18
    mean -= 1.1 if past.reopened else 0
    return max(1, min(5, round(rng.gauss(mean, 0.85))))


def _suppression(
    past: Past,
    *,
    incident: str,
    sampled_group: int | None,
    last_sent: dict[int, datetime],
    incident_customers: set[tuple[str, int]],
) -> str:
    if past.group_id == sampled_group and not public_id_sampled(
        public_id=past.public_id, percent=SAMPLED_PERCENT
    ):
        return f"not in the sample ({SAMPLED_PERCENT} % of the group's tickets are surveyed)"
    if incident:
        if (incident, past.customer_id) in incident_customers:
            return f"incident {incident}: one survey per customer"
        incident_customers.add((incident, past.customer_id))
    last = last_sent.get(past.customer_id)
    if last is not None and past.resolved_at - last < CAP:
        return "the customer had a survey within 30 days"
    if not past.address:
        return "no address: neither the contact nor the customer has an e-mail address"
    return ""


def _answer(rng: random.Random, survey: SimpleNamespace, past: Past, now: datetime) -> None:
    sent_at = survey.sent_at
    assert sent_at is not None
    answered_at = sent_at + timedelta(hours=min(rng.expovariate(1 / 20), 24 * 13))
    if answered_at > now:
        return
    rating = _rating(rng, past)
    survey.state = SurveyState.ANSWERED
    survey.answered_at = answered_at
    survey.editable_until = answered_at + EDIT_WINDOW
    survey.rating = rating
    if survey.asks_nps and rng.random() < 0.8:
        survey.nps = max(0, min(10, round(rating * 2 + rng.gauss(-0.5, 1.2))))
    if rng.random() < COMMENT_SHARE:
        band = "low" if rating <= 2 else ("middle" if rating == 3 else "high")
        survey.comment = rng.choice(COMMENTS[band])


def _survey(
    rng: random.Random, past: Past, reason: str, incident: str, now: datetime, pk: int
) -> SimpleNamespace:
    survey = _row(
        Survey,
        id=pk,
        ticket_id=past.ticket_id,
        public_id=secrets.token_urlsafe(16),
        customer_id=past.customer_id,
        contact_id=past.contact_id,
        group_id=past.group_id,
        agent_id=past.agent_id,
        category_id=past.category_id,
        segment=past.segment,
        channel="email",
        incident_ref=incident,
        resolved_at=past.resolved_at,
        created_at=past.resolved_at,
        asks_nps=now - past.resolved_at < NPS_SINCE,
    )
    if reason:
        survey.state, survey.reason = SurveyState.SUPPRESSED, reason
        return survey
    survey.scheduled_for = past.resolved_at + DELAY
    if survey.scheduled_for > now:
        return survey  # still to be sent
    survey.state = SurveyState.SENT
    survey.sent_at = survey.scheduled_for
    survey.expires_at = survey.sent_at + EXPIRY
    if rng.random() < ANSWER_SHARE:
        _answer(rng, survey, past, now)
    if survey.state == SurveyState.SENT and survey.expires_at <= now:
        survey.state = SurveyState.EXPIRED
    return survey


def _follow_ups(
    rng: random.Random, surveys: list[SimpleNamespace], now: datetime
) -> list[SimpleNamespace]:
    leads = dict(SupportGroup.objects.exclude(supervisor=None).values_list("pk", "supervisor_id"))
    fallback = User.objects.filter(role=Role.TEAM_LEAD, is_active=True).order_by("pk").first()
    follow_ups: list[SimpleNamespace] = []
    ids = IdBlock(SurveyFollowUp)
    for survey in surveys:
        if survey.rating is None or survey.rating > 2 or survey.answered_at is None:
            continue
        owner_id = leads.get(survey.group_id or 0, fallback.pk if fallback else None)
        done = now - survey.answered_at > timedelta(days=3) and rng.random() < 0.8
        follow_ups.append(
            _row(
                SurveyFollowUp,
                id=ids.take(),
                survey_id=survey.id,
                owner_id=owner_id,
                group_id=survey.group_id,
                opened_rating=survey.rating,
                created_at=survey.answered_at,
                state=FollowUpState.DONE if done else FollowUpState.OPEN,
                note=rng.choice(FOLLOW_UP_NOTES) if done else "",
                done_at=survey.answered_at + timedelta(days=rng.uniform(0.2, 3)) if done else None,
                done_by_id=owner_id if done else None,
            )
        )
    return follow_ups


def build_surveys(rng: random.Random, created: dict[str, Any]) -> dict[str, int]:
    """Surveys for the history's resolved tickets (once per load). Returns
    how many of each state."""
    span = created.get("tickets.Ticket")
    if not span or created.get("surveys.Survey"):
        return {}
    if not SurveySettings.objects.exists():
        SurveySettings.objects.create(ask_nps=True, updated_at=timezone.now())
    sampled_group = SupportGroup.objects.filter(tier__kind=SAMPLED_GROUP).order_by("pk").first()
    if sampled_group is not None:
        GroupSampling.objects.get_or_create(
            group=sampled_group, defaults={"percent": SAMPLED_PERCENT}
        )
    now = timezone.now()
    incidents = _incidents(span)
    last_sent: dict[int, datetime] = {}
    incident_customers: set[tuple[str, int]] = set()
    surveys: list[SimpleNamespace] = []
    ids = IdBlock(Survey)
    for past in _resolved_tickets(span):
        incident = incidents.get(past.ticket_id, "")
        reason = _suppression(
            past,
            incident=incident,
            sampled_group=sampled_group.pk if sampled_group else None,
            last_sent=last_sent,
            incident_customers=incident_customers,
        )
        if not reason:
            last_sent[past.customer_id] = past.resolved_at
        surveys.append(_survey(rng, past, reason, incident, now, ids.take()))
    _raw_insert(Survey, surveys)
    follow_ups = _follow_ups(rng, surveys, now)
    _raw_insert(SurveyFollowUp, follow_ups)
    if ids.span:
        created["surveys.Survey"] = ids.span
    counts: dict[str, int] = {}
    for survey in surveys:
        counts[survey.state] = counts.get(survey.state, 0) + 1
    counts["follow_ups"] = len(follow_ups)
    return counts
