"""Writes of surveys: scheduling one when a ticket is resolved (or saying
why not), marking it sent, the customer's answer on the public page, expiry,
the team lead's follow-up of a low rating, and the managers' settings."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.config import parse_rate
from netdesk.core.checks import checked_text
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.core.hooks import hooks_run
from netdesk.core.locking import locked
from netdesk.core.ratelimit import rate_count_bump
from netdesk.customers.models import Customer
from netdesk.surveys.models import (
    FollowUpState,
    GroupSampling,
    IncidentMode,
    Survey,
    SurveyFollowUp,
    SurveySettings,
    SurveyState,
)
from netdesk.surveys.selectors import (
    customer_recently_surveyed,
    follow_up_owner,
    incident_surveyed,
    mail_address,
    sampling_percent,
    survey_by_token,
    survey_settings,
    survey_token,
    ticket_incident_ref,
)
from netdesk.tickets.choices import Channel
from netdesk.tickets.models import Ticket

# The customer may change an answer for this long after giving it.
EDIT_WINDOW = timedelta(hours=12)
COMMENT_LIMIT = 2000
RATINGS = range(1, 6)
NPS_SCORES = range(11)
NOTE_LIMIT = 2000
# Channels the desk cannot survey by yet: a survey of a phone, chat or
# portal ticket goes by e-mail when the customer has an address.
MAIL = "email"


def survey_url(survey: Survey) -> str:
    """The public page's path, `/survey/<token>/` (the token derives from
    the survey's public id and the site's secret, so it can be given again)."""
    return f"/survey/{survey_token(survey)}/"


def sampled(*, ticket: Ticket, percent: int) -> bool:
    """Whether the ticket falls in its group's sample: decided by a hash of
    its public id, so resolving it again gives the same answer."""
    return public_id_sampled(public_id=ticket.public_id, percent=percent)


def public_id_sampled(*, public_id: str, percent: int) -> bool:
    """`sampled` for a ticket known by its public id (bulk loads)."""
    if percent >= 100:
        return True
    digest = hashlib.sha256(f"survey-sample:{public_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def suppression_reason(
    *, ticket: Ticket, desk: SurveySettings, incident_ref: str, now: datetime
) -> str:
    """Why the ticket's customer is not to be surveyed, or "" to survey them."""
    if not desk.enabled:
        return "surveys are switched off"
    percent = sampling_percent(ticket.group_id)
    if not sampled(ticket=ticket, percent=percent):
        return f"not in the sample ({percent} % of the group's tickets are surveyed)"
    if incident_ref:
        if desk.incident_mode == IncidentMode.NONE:
            return f"resolved by network incident {incident_ref}: no survey for incidents"
        earlier = incident_surveyed(
            incident_ref=incident_ref, customer_id=ticket.customer_id, ticket_id=ticket.pk
        )
        if earlier is not None:
            return (
                f"incident {incident_ref}: one survey per customer "
                f"(already with {earlier.ticket.reference})"
            )
    if desk.customer_cap_days:
        since = now - timedelta(days=desk.customer_cap_days)
        recent = customer_recently_surveyed(
            customer_id=ticket.customer_id, since=since, ticket_id=ticket.pk
        )
        if recent is not None:
            return f"the customer had a survey within {desk.customer_cap_days} days"
    if not mail_address(ticket.contact, ticket.customer):
        return "no address: neither the contact nor the customer has an e-mail address"
    return ""


@transaction.atomic
def survey_schedule(*, ticket: Ticket, now: datetime | None = None) -> Survey | None:
    """Schedule the resolved ticket's survey, or record why it is
    suppressed. A ticket resolved again keeps its first survey unless that
    is still waiting to be sent (then it is decided and timed anew).
    Internal tickets (between groups) have no customer to ask: None."""
    if ticket.channel == Channel.INTERNAL:
        return None
    now = now or timezone.now()
    # The customer's row is locked: two of their tickets resolved at once
    # must not both pass the cap or the one-per-incident check.
    # Read here with its parent account (the segment needs it), so the
    # survey takes it from the lock's read rather than a second query.
    customer = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("parent_account")
        .get(pk=ticket.customer_id)
    )
    survey = Survey.objects.select_for_update().filter(ticket=ticket).first()
    if survey is not None and survey.state != SurveyState.SCHEDULED:
        return survey
    desk = survey_settings()
    incident_ref = ticket_incident_ref(ticket.pk)
    reason = suppression_reason(ticket=ticket, desk=desk, incident_ref=incident_ref, now=now)
    survey = survey or Survey(
        ticket=ticket, public_id=secrets.token_urlsafe(16), created_at=now, customer=customer
    )
    survey.contact = ticket.contact
    survey.group_id = ticket.group_id
    survey.agent = ticket.resolved_by
    survey.category_id = ticket.category_id
    survey.segment = customer.served_segment
    survey.channel = MAIL
    survey.incident_ref = incident_ref
    survey.resolved_at = ticket.resolved_at or now
    survey.asks_nps = desk.ask_nps
    survey.state = SurveyState.SUPPRESSED if reason else SurveyState.SCHEDULED
    survey.reason = reason
    survey.scheduled_for = None if reason else now + timedelta(minutes=desk.delay_minutes)
    survey.save()
    return survey


def ticket_resolved(*, ticket: Ticket, actor: User | None) -> None:  # noqa: ARG001  # the hook's signature
    """NETDESK_HOOKS["ticket_resolved"]: the resolution schedules its survey."""
    survey_schedule(ticket=ticket, now=ticket.resolved_at or timezone.now())


@transaction.atomic
def survey_mark_sent(*, survey: Survey, now: datetime) -> bool:
    """Mark a scheduled survey sent (the sender queued its mail in this
    transaction); False when it is no longer scheduled, so a second sender
    or a retry queues nothing."""
    survey = locked(survey, what="survey")
    if survey.state != SurveyState.SCHEDULED:
        return False
    desk = survey_settings()
    survey.state = SurveyState.SENT
    survey.sent_at = now
    survey.expires_at = now + timedelta(days=desk.expiry_days)
    survey.save(update_fields=["state", "sent_at", "expires_at"])
    return True


@transaction.atomic
def survey_suppress(*, survey: Survey, reason: str) -> bool:
    """A scheduled survey that cannot be sent after all (its address was
    removed meanwhile); False when it is no longer scheduled."""
    survey = locked(survey, what="survey")
    if survey.state != SurveyState.SCHEDULED:
        return False
    survey.state = SurveyState.SUPPRESSED
    survey.reason = reason[:300]
    survey.scheduled_for = None
    survey.save(update_fields=["state", "reason", "scheduled_for"])
    return True


def surveys_expire(*, now: datetime) -> int:
    """Sent surveys past their expiry become expired; how many (one statement)."""
    return Survey.objects.filter(state=SurveyState.SENT, expires_at__lte=now).update(
        state=SurveyState.EXPIRED
    )


def _check_answerable(survey: Survey, now: datetime) -> None:
    if survey.state in (SurveyState.SCHEDULED, SurveyState.SUPPRESSED):
        raise TransitionNotAllowed(
            "This survey is not open for answers.",
            field="state",
            value=survey.state,
            accepted=[SurveyState.SENT, SurveyState.ANSWERED],
        )
    expired = survey.state == SurveyState.EXPIRED or (
        survey.state == SurveyState.SENT
        and survey.expires_at is not None
        and survey.expires_at <= now
    )
    if expired:
        raise TransitionNotAllowed(
            "This survey has expired; thank you all the same.",
            field="state",
            value=SurveyState.EXPIRED,
            accepted=[SurveyState.SENT],
        )
    if (
        survey.state == SurveyState.ANSWERED
        and survey.editable_until
        and now > survey.editable_until
    ):
        until = timezone.localtime(survey.editable_until)
        raise TransitionNotAllowed(
            f"The answer could be changed until {until:%Y-%m-%d %H:%M}; it is kept as given.",
            field="state",
            value=SurveyState.ANSWERED,
            accepted="an answer within 12 hours of the first",
        )


def _checked_answer(
    survey: Survey, rating: object, nps: object, comment: str
) -> tuple[int, int | None, str]:
    if not isinstance(rating, int) or isinstance(rating, bool) or rating not in RATINGS:
        raise ValidationFailed(
            "Choose a rating from 1 (very poor) to 5 (excellent).",
            field="rating",
            value=rating,
            accepted=list(RATINGS),
        )
    if nps is not None and not survey.asks_nps:
        raise ValidationFailed(
            "This survey does not ask how likely you are to recommend us.",
            field="nps",
            value=nps,
            accepted=None,
        )
    if nps is not None and (
        not isinstance(nps, int) or isinstance(nps, bool) or nps not in NPS_SCORES
    ):
        raise ValidationFailed(
            "Choose how likely you are to recommend us from 0 to 10.",
            field="nps",
            value=nps,
            accepted=list(NPS_SCORES),
        )
    return rating, nps, checked_text("comment", comment, COMMENT_LIMIT, blank=True)


@transaction.atomic
def survey_answer(
    *,
    token: str,
    rating: object,
    nps: object = None,
    comment: str = "",
    now: datetime | None = None,
) -> Survey:
    """The customer's answer from the public page: once, then changeable
    for 12 hours. A rating at or below the desk's low mark opens a
    follow-up for the team lead (once per survey; raising the rating later
    leaves it open, the lead sees both ratings)."""
    now = now or timezone.now()
    survey = survey_by_token(token)
    survey = locked(survey, what="survey")
    _check_answerable(survey, now)
    survey.rating, survey.nps, survey.comment = _checked_answer(survey, rating, nps, comment)
    if survey.answered_at is None:
        survey.answered_at = now
        survey.editable_until = now + EDIT_WINDOW
    survey.state = SurveyState.ANSWERED
    survey.save(
        update_fields=["rating", "nps", "comment", "answered_at", "editable_until", "state"]
    )
    desk = survey_settings()
    if survey.rating <= desk.low_rating_max:
        _follow_up_open(survey=survey, now=now)
    return survey


def _follow_up_open(*, survey: Survey, now: datetime) -> None:
    if SurveyFollowUp.objects.filter(survey=survey).exists():
        return
    follow_up = SurveyFollowUp.objects.create(
        survey=survey,
        owner=follow_up_owner(survey.group_id),
        group_id=survey.group_id,
        opened_rating=survey.rating or 1,
        created_at=now,
    )
    hooks_run("survey_follow_up_opened", follow_up=follow_up)


@transaction.atomic
def follow_up_done(*, actor: User, follow_up: SurveyFollowUp, note: str) -> SurveyFollowUp:
    """The team lead followed the low rating up: what was done, in a note."""
    require(actor, Action.KPI_VIEW_ALL)
    note = checked_text("note", note, NOTE_LIMIT)
    follow_up = locked(follow_up, what="follow-up")
    if follow_up.state == FollowUpState.DONE:
        raise TransitionNotAllowed(
            "This follow-up is already done.",
            field="state",
            value=follow_up.state,
            accepted=[FollowUpState.OPEN],
        )
    follow_up.state = FollowUpState.DONE
    follow_up.note = note
    follow_up.done_at = timezone.now()
    follow_up.done_by = actor
    follow_up.save(update_fields=["state", "note", "done_at", "done_by"])
    return follow_up


# Each setting a manager may change, with the whole numbers it accepts.
SETTING_RANGES: dict[str, range] = {
    "delay_minutes": range(0, 60 * 24 * 30 + 1),
    "customer_cap_days": range(0, 366),
    "expiry_days": range(1, 91),
    "low_rating_max": range(0, 5),
}
SETTING_FLAGS = ("enabled", "ask_nps")


def _check_settings(changes: dict[str, Any]) -> None:
    accepted = [*SETTING_RANGES, *SETTING_FLAGS, "incident_mode"]
    for field, value in changes.items():
        if field in SETTING_RANGES:
            allowed = SETTING_RANGES[field]
            if not isinstance(value, int) or isinstance(value, bool) or value not in allowed:
                raise ValidationFailed(
                    f"{field} must be a whole number from {allowed.start} to {allowed.stop - 1}.",
                    field=field,
                    value=value,
                    accepted=f"{allowed.start} to {allowed.stop - 1}",
                )
        elif field in SETTING_FLAGS:
            if not isinstance(value, bool):
                raise ValidationFailed(
                    f"{field} is true or false.", field=field, value=value, accepted=[True, False]
                )
        elif field == "incident_mode":
            if value not in IncidentMode.values:
                raise ValidationFailed(
                    f"incident_mode {value!r} is not accepted.",
                    field=field,
                    value=value,
                    accepted=list(IncidentMode.values),
                )
        else:
            raise ValidationFailed(
                f"{field} is not a survey setting.", field=field, value=value, accepted=accepted
            )


@transaction.atomic
def settings_update(*, actor: User, changes: dict[str, Any]) -> SurveySettings:
    """Change the desk's survey settings (managers); the first change
    writes the row."""
    require(actor, Action.CONFIGURE)
    _check_settings(changes)
    desk = survey_settings()
    desk = locked(desk, what="survey settings") if desk.pk is not None else desk
    for field, value in changes.items():
        setattr(desk, field, value)
    desk.updated_by = actor
    desk.updated_at = timezone.now()
    if desk.pk is None:
        desk.save()
    else:
        desk.save(update_fields=[*changes, "updated_by", "updated_at"])
    return desk


@transaction.atomic
def group_sampling_set(*, actor: User, group: SupportGroup, percent: int) -> GroupSampling | None:
    """Survey `percent` of the group's resolved tickets (managers); 100
    removes the group's row (every ticket, the default)."""
    require(actor, Action.CONFIGURE)
    if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
        raise ValidationFailed(
            "The sample is a whole percentage from 0 to 100.",
            field="percent",
            value=percent,
            accepted="0 to 100",
        )
    if percent == 100:
        GroupSampling.objects.filter(group=group).delete()
        return None
    row, _ = GroupSampling.objects.update_or_create(group=group, defaults={"percent": percent})
    return row


def survey_answer_counted(*, client: str) -> int | None:
    """Count one answer sent from `client` (an address); the seconds to
    wait once past NETDESK_SURVEY_ANSWER_RATE in the current window, else None."""
    limit, period = parse_rate(settings.NETDESK_SURVEY_ANSWER_RATE)
    moment = time.time()
    window = int(moment // period)
    if rate_count_bump(key=f"survey-answer:{client}:{period}", period_start=window) <= limit:
        return None
    return int((window + 1) * period - moment) + 1
