"""What the worker does when service-level time runs out: warnings,
breaches and the escalation matrix's actions, each exactly once."""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, TierKind, User
from netdesk.core.errors import ServiceError
from netdesk.core.hooks import hooks_run
from netdesk.sla.models import (
    EscalationAction,
    EscalationNotice,
    EscalationRule,
    NotifyWhom,
    PolicyKind,
    RecipientHours,
    SlaTimer,
)
from netdesk.sla.selectors import due_timers, working_calendar
from netdesk.sla.services import sla_refresh, timers_update
from netdesk.tickets.events import ServiceLevelAlert, event_sla_escalation, events_sla_alerts
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import (
    ticket_escalate_functional,
    ticket_escalate_hierarchical,
    ticket_raise_priority,
)

logger = logging.getLogger("netdesk.sla")
LINE_TIERS = (TierKind.FIRST_LINE, TierKind.SECOND_LINE, TierKind.THIRD_LINE)


def _describe(timer: SlaTimer) -> str:
    whose = f"OLA of {timer.group}" if timer.kind == PolicyKind.OLA else "SLA"
    return f"{whose} {timer.get_metric_display().lower()} ({timer.policy.name})"


def _recipients(rule: EscalationRule, ticket: Ticket) -> list[User | str]:
    if rule.notify == NotifyWhom.TEAM_LEAD:
        return [ticket.group.supervisor] if ticket.group.supervisor else []
    if rule.notify == NotifyWhom.MANAGER:
        return list(get_user_model().objects.filter(role=Role.SERVICE_DESK_MANAGER, is_active=True))
    if rule.notify == NotifyWhom.ACCOUNT_MANAGER:
        customer = ticket.customer
        manager = customer.account_manager or (
            customer.parent_account.account_manager if customer.parent_account else None
        )
        return [manager] if manager else []
    if rule.notify == NotifyWhom.GROUP and rule.target_group is not None:
        return list(rule.target_group.members.filter(is_active=True))
    if rule.notify == NotifyWhom.ADDRESS and rule.address:
        return [rule.address]
    return []


def _deliver_after(
    rule: EscalationRule, recipient: User | str, timer: SlaTimer, now: datetime
) -> datetime:
    """Now, or when the recipient's working day next begins (their own hours
    if set, else the calendar of the policy that escalated)."""
    if rule.ignore_working_hours:
        return now
    hours = None
    if isinstance(recipient, User):
        hours = RecipientHours.objects.filter(user=recipient).select_related("calendar").first()
    calendar = hours.calendar if hours else timer.policy.calendar
    return working_calendar(calendar).next_open(now)


def _notify(rule: EscalationRule, timer: SlaTimer, ticket: Ticket, now: datetime, why: str) -> str:
    recipients = _recipients(rule, ticket)
    if not recipients:
        return f"nobody to notify ({rule.get_notify_display().lower()} not set)"
    subject = f"[{ticket.reference}] {why}"
    body = (
        f"{why}\n\nTicket {ticket.reference}: {ticket.title}\nCustomer: {ticket.customer.name}\n"
        f"Priority P{ticket.priority}, group {ticket.group.name}\n"
        f"Due: {timer.due_at:%Y-%m-%d %H:%M} UTC\n"
    )
    names = []
    for recipient in recipients:
        notice = EscalationNotice.objects.create(
            ticket=ticket,
            rule=rule,
            recipient=recipient if isinstance(recipient, User) else None,
            address="" if isinstance(recipient, User) else recipient,
            subject=subject[:200],
            body=body,
            deliver_after=_deliver_after(rule, recipient, timer, now),
        )
        hooks_run("escalation_notice_created", notice=notice)
        names.append(str(recipient))
    return "notified " + ", ".join(names)


def _next_tier_group(ticket: Ticket) -> SupportGroup | None:
    return (
        SupportGroup.objects.filter(
            is_active=True, tier__kind__in=LINE_TIERS, tier__level=ticket.group.tier.level + 1
        )
        .order_by("id")
        .first()
    )


def _act(rule: EscalationRule, timer: SlaTimer, ticket: Ticket, now: datetime) -> None:
    why = f"{_describe(timer)} at {rule.at_percent}% — rule “{rule.name}”"
    if rule.action == EscalationAction.NOTIFY:
        outcome = _notify(rule, timer, ticket, now, why)
    elif rule.action == EscalationAction.RAISE_PRIORITY:
        ticket_raise_priority(actor=None, ticket=ticket, reason=why)
        outcome = f"priority now P{ticket.priority}"
    elif rule.action == EscalationAction.HIERARCHICAL:
        ticket_escalate_hierarchical(actor=None, ticket=ticket, reason=why)
        outcome = f"hierarchical level {ticket.hierarchical_level}"
    else:
        group = rule.target_group or _next_tier_group(ticket)
        if group is None or group.pk == ticket.group_id:
            outcome = "no further group to reassign to"
        else:
            ticket_escalate_functional(actor=None, ticket=ticket, group=group, reason=why)
            outcome = f"reassigned to {group.name}"
    event_sla_escalation(ticket=ticket, clock=_clock(timer), message=f"{why}: {outcome}", at=now)


def sla_claimable(*, limit: int, now: datetime | None = None) -> int:
    """How many due timers there are, up to `limit` (is there a backlog?)."""
    return due_timers(now or timezone.now()).values("pk")[:limit].count()


def sla_fire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Fire the warnings, breaches and escalation rules that are due. Safe
    with many workers: rows are claimed with SKIP LOCKED and marked as fired
    in the same transaction as their timeline events.

    Warnings and breaches use the stored due times: every change to a ticket
    recomputes its timers, so they are current. Escalation rules need each
    rule's own time, so tickets with a rule due are recomputed first."""
    now = now or timezone.now()
    fired = 0
    with transaction.atomic():
        claimed = list(due_timers(now).select_for_update(skip_locked=True, of=("self",))[:limit])
        if not claimed:
            return 0
        # Their policies and groups by key afterwards: joined into the claim,
        # they made SQLite scan every timer of each policy (0.1 s at a million
        # tickets) while the transaction held the database's one writer turn.
        prefetch_related_objects(claimed, "policy", "group")
        escalating = {
            t.ticket_id
            for t in claimed
            if t.next_escalation_at is not None and t.next_escalation_at <= now
        }
        plain = [t for t in claimed if t.ticket_id not in escalating]
        fired_timers = [(t, alert) for t in plain if (alert := _warning_or_breach(t, now))]
        alerts = [alert for _, alert in fired_timers]
        events_sla_alerts(alerts=alerts)
        timers_update(plain, ["warning_fired_at", "breach_fired_at"])
        _announce_alerts(fired_timers)
        fired += len(alerts)
        if escalating:
            claimed_pks = {t.pk for t in claimed}
            tickets = Ticket.objects.filter(pk__in=escalating).select_related(
                "customer",
                "customer__parent_account",
                "service",
                "group",
                "group__tier",
                "group__supervisor",
            )
            for ticket in tickets:
                for timer in sla_refresh(ticket=ticket, now=now):
                    if timer.pk in claimed_pks:
                        fired += _fire_timer(timer, ticket, now)
    if fired:
        logger.info("fired %d service-level warnings, breaches and escalations", fired)
    return fired


def _announce(timer: SlaTimer, ticket: Ticket, alert: ServiceLevelAlert) -> None:
    """Tell the apps above (the assignee's notification) that a warning or a
    breach fired, inside the firing transaction."""
    name = "sla_breach_fired" if alert.breached else "sla_warning_fired"
    hooks_run(name, timer=timer, ticket=ticket)


def _announce_alerts(fired: list[tuple[SlaTimer, ServiceLevelAlert]]) -> None:
    """The batch's alerts announced with their tickets, read in one query."""
    if not fired:
        return
    tickets = Ticket.objects.select_related("assignee").in_bulk(
        {timer.ticket_id for timer, _ in fired}
    )
    for timer, alert in fired:
        _announce(timer, tickets[timer.ticket_id], alert)


def _clock(timer: SlaTimer) -> str:
    return f"{timer.kind}.{timer.metric}"


def _warning_or_breach(timer: SlaTimer, now: datetime) -> ServiceLevelAlert | None:
    """Mark the timer's breach (or else its warning) as fired and return the
    alert to record on the ticket's timeline, if one is due."""
    if timer.breach_fired_at is None and timer.due_at is not None and timer.due_at <= now:
        timer.breach_fired_at = now
        # A worker catching up fires the breach alone: its warning is moot.
        timer.warning_fired_at = timer.warning_fired_at or now
        return ServiceLevelAlert(
            ticket_id=timer.ticket_id,
            breached=True,
            clock=_clock(timer),
            message=f"{_describe(timer)} breached at {timer.due_at:%Y-%m-%d %H:%M} UTC",
            at=now,
        )
    if timer.warning_fired_at is None and timer.warn_at is not None and timer.warn_at <= now:
        timer.warning_fired_at = now
        return ServiceLevelAlert(
            ticket_id=timer.ticket_id,
            breached=False,
            clock=_clock(timer),
            message=f"{_describe(timer)}: {timer.policy.warn_at_percent}% used, "
            f"due {timer.due_at:%Y-%m-%d %H:%M} UTC",
            at=now,
        )
    return None


def _fire_timer(timer: SlaTimer, ticket: Ticket, now: datetime) -> int:
    alert = _warning_or_breach(timer, now)
    fired = 0
    if alert is not None:
        events_sla_alerts(alerts=[alert])
        _announce(timer, ticket, alert)
        fired += 1
    done = set(timer.escalations_fired or [])
    rule_times: dict[int, datetime | None] = getattr(timer, "rule_times", {})
    for rule in getattr(timer, "applicable_rules", []):
        at = rule_times.get(rule.pk)
        if rule.pk in done or at is None or at > now or timer.stopped_at is not None:
            continue
        done.add(rule.pk)
        try:
            with transaction.atomic():
                _act(rule, timer, ticket, now)
        except ServiceError as error:
            # The ticket moved on (closed, already at the top level...): say so, once.
            event_sla_escalation(
                ticket=ticket,
                clock=_clock(timer),
                message=f"Rule “{rule.name}” could not act: {error.message}",
                at=now,
            )
        fired += 1
    timer.escalations_fired = sorted(done)
    pending = [at for pk, at in rule_times.items() if at is not None and pk not in done]
    timer.next_escalation_at = min(pending) if pending and timer.stopped_at is None else None
    timer.save(
        update_fields=[
            "warning_fired_at",
            "breach_fired_at",
            "escalations_fired",
            "next_escalation_at",
        ]
    )
    return fired
