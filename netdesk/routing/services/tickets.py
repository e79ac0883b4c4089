"""Routing tickets by skill: load the facts, let the engine decide
(netdesk/competency/routing.py), record the decision and assign the ticket
through the ticket services. Also the routing configuration: rules, each
group's policy and the agents' availability.

The desk itself routes new tickets and re-routes waiting ones (actor None,
which the ticket services accept for the desk's own work: the assignment
appears on the timeline without a person). A person asking for a route
acts as themselves and needs the right to assign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import TransitionNotAllowed
from netdesk.routing import engine
from netdesk.routing import selectors as read
from netdesk.routing.models import GroupRouting, RoutingDecision, RoutingPolicy, RoutingTrigger
from netdesk.tickets.choices import OPEN_STATUSES
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_assign

# A decision keeps the eligible agents in the order the policy ranked them
# and then the refused ones, up to this many: enough to see why, small
# enough that a group of hundreds does not bloat every ticket.
KEPT_CANDIDATES = 20
# A waiting ticket whose relaxation step has not changed is tried again
# after this long (agents come back, finish work).
RETRY_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Settings:
    """A group's routing settings; groups without a row route with the defaults."""

    policy: str = RoutingPolicy.LEAST_SUFFICIENT
    workload_cap: int = 8
    thresholds: tuple[int, ...] = engine.DEFAULT_RELAX_THRESHOLDS
    cursor: int | None = None
    enabled: bool = False


def _settings_of(row: GroupRouting | None) -> Settings:
    if row is None:
        return Settings()
    return Settings(
        policy=row.policy,
        workload_cap=row.workload_cap,
        thresholds=tuple(int(t) for t in row.relax_thresholds or ()),
        cursor=row.last_routed_to_id,
        enabled=row.enabled,
    )


# ---- shaping a decision for the record and the API --------------------------


def _requirement(req: engine.Requirement, skills: dict[int, read.SkillInfo]) -> dict[str, Any]:
    info = skills.get(req.skill_id)
    return {
        "skill": info.code if info else str(req.skill_id),
        "skill_id": req.skill_id,
        "level": req.level,
        "floor": req.floor,
        "hard": req.hard,
        "rules": list(req.rules),
    }


def _why_not(
    candidate: engine.Candidate, cap: int | None, skills: dict[int, read.SkillInfo]
) -> str:
    reasons: list[str] = []
    if candidate.away:
        reasons.append("away")
    if candidate.at_cap:
        reasons.append(f"at the workload cap ({candidate.load}/{cap})")
    for skill_id, has, needs in candidate.short:
        info = skills.get(skill_id)
        reasons.append(f"{info.code if info else skill_id} level {has} < {needs}")
    return "; ".join(reasons)


def decision_fields(
    decision: engine.Decision,
    *,
    workload_cap: int | None,
    thresholds: tuple[int, ...],
    skills: dict[int, read.SkillInfo],
    names: dict[int, str],
) -> dict[str, Any]:
    """The decision as stored on RoutingDecision (and shown for previews):
    `skills` and `names` give the codes and usernames to show."""
    kept = decision.candidates
    candidates = [
        {
            "agent": names.get(c.agent_id, str(c.agent_id)),
            "agent_id": c.agent_id,
            "eligible": c.eligible,
            "score": c.score,
            "load": c.load,
            "why_not": "" if c.eligible else _why_not(c, workload_cap, skills),
        }
        for c in kept
    ]
    relaxed = [
        {
            "skill": skills[r.skill_id].code if r.skill_id in skills else str(r.skill_id),
            "skill_id": r.skill_id,
            "from_level": r.from_level,
            "to_level": r.to_level,
            "step": r.step,
            "threshold": thresholds[r.step - 1] if 0 < r.step <= len(thresholds) else None,
        }
        for r in decision.relaxed
    ]
    return {
        "policy": decision.policy.value,
        "requirements": [_requirement(r, skills) for r in decision.requirements],
        "relaxed": relaxed,
        "candidates": candidates,
        "chosen_id": decision.chosen,
        "reason": _reason(decision, names),
        "relax_step": decision.step,
        "sla_used": decision.sla_used,
        "within_level": decision.within_level,
    }


SCORE_NAMES = {
    engine.Policy.LEAST_SUFFICIENT: "surplus",
    engine.Policy.MOST_PROFICIENT: "total level",
}


def _reason(decision: engine.Decision, names: dict[int, str]) -> str:
    policy = RoutingPolicy(decision.policy.value).label
    considered = decision.considered
    chosen = decision.chosen_candidate
    if chosen is not None:
        score = SCORE_NAMES.get(decision.policy)
        detail = f"{score} {chosen.score}, " if score else ""
        text = (
            f"{policy}: {names.get(chosen.agent_id, chosen.agent_id)} ({detail}{chosen.load} open) "
            f"of {decision.eligible_count} eligible among {considered} considered."
        )
        if not decision.within_level:
            text += " Routed below the ticket's level after soft requirements relaxed."
        return text
    if considered == 0:
        return "No eligible agent: nobody to route to in the group."
    return (
        f"No eligible agent among {considered} considered: {decision.away_count} away, "
        f"{decision.at_cap_count} at the workload cap, {decision.short_count} short of a "
        "required skill. The ticket waits in the queue."
    )


# ---- routing ---------------------------------------------------------------


def _decide(
    *, ticket: Ticket, settings: Settings, now: datetime
) -> tuple[engine.Decision, dict[str, Any]]:
    rules, skills = read.active_rules_and_skills()
    requirements = engine.requirements_for(read.ticket_facts(ticket), rules)
    group = read.group_agents(
        ticket.group_id, [r.skill_id for r in requirements], leave_out_ticket=ticket.pk, now=now
    )
    decision = engine.route(
        agents=group.agents,
        requirements=requirements,
        policy=settings.policy,
        workload_cap=settings.workload_cap,
        sla_used=read.sla_used(ticket.pk, now),
        thresholds=settings.thresholds,
        cursor=settings.cursor,
        keep=KEPT_CANDIDATES,
    )
    fields = decision_fields(
        decision,
        workload_cap=settings.workload_cap,
        thresholds=settings.thresholds,
        skills=skills,
        names=group.names,
    )
    return decision, fields


def routing_preview(
    *, ticket: Ticket, now: datetime | None = None
) -> tuple[engine.Decision, dict[str, Any]]:
    """What routing would decide for the ticket now; nothing is written."""
    settings = _settings_of(read.group_routing(ticket.group_id))
    return _decide(ticket=ticket, settings=settings, now=now or timezone.now())


def _route(
    *, ticket: Ticket, actor: User | None, now: datetime, trigger: str, keep_unchanged: bool
) -> RoutingDecision | None:
    row = GroupRouting.objects.select_for_update().filter(group_id=ticket.group_id).first()
    # The group's row is locked while we count loads and assign, so two
    # tickets routed at once in one group never both take an agent's last slot.
    settings = _settings_of(row)
    decision, fields = _decide(ticket=ticket, settings=settings, now=now)
    if not keep_unchanged and decision.chosen is None:
        last = read.last_decisions([ticket.pk]).get(ticket.pk)
        if last is not None and last.relax_step == decision.step:
            return None
    return _record_and_assign(
        ticket=ticket, row=row, fields=fields, now=now, trigger=trigger, actor=actor
    )


def _record_and_assign(
    *,
    ticket: Ticket,
    row: GroupRouting | None,
    fields: dict[str, Any],
    now: datetime,
    trigger: str,
    actor: User | None,
) -> RoutingDecision:
    """Keep the decision, move the group's round-robin cursor and assign the
    chosen agent (if any, and not already the assignee). The desk routes as
    itself (actor None) from the worker and the hooks."""
    fields = dict(fields)
    chosen_id = fields.pop("chosen_id")
    record = RoutingDecision.objects.create(
        ticket=ticket, decided_at=now, trigger=trigger, chosen_id=chosen_id, **fields
    )
    if chosen_id is None:
        return record
    if row is not None and row.last_routed_to_id != chosen_id:
        row.last_routed_to_id = chosen_id
        row.save(update_fields=["last_routed_to"])
    if chosen_id != ticket.assignee_id:
        ticket_assign(actor=actor, ticket=ticket, assignee=User.objects.get(pk=chosen_id))
    return record


@transaction.atomic
def ticket_route(
    *,
    ticket: Ticket,
    actor: User | None = None,
    now: datetime | None = None,
    trigger: str = RoutingTrigger.REQUESTED,
) -> RoutingDecision:
    """Route the ticket within its group now, record the decision and assign
    the chosen agent (a ticket nobody can take keeps its assignee, if any).
    Groups without routing settings route with the defaults."""
    require(actor, Action.TICKET_ASSIGN)
    if ticket.status not in OPEN_STATUSES:
        raise TransitionNotAllowed(
            f"{ticket.reference} is {ticket.get_status_display().lower()}; only open "
            "tickets are routed.",
            field="status",
            value=ticket.status,
            accepted=sorted(OPEN_STATUSES),
        )
    record = _route(
        ticket=ticket, actor=actor, now=now or timezone.now(), trigger=trigger, keep_unchanged=True
    )
    assert record is not None
    return record


def route_new_ticket(
    *,
    ticket: Ticket,
    actor: User | None = None,  # noqa: ARG001  # every ticket_created hook is handed it
) -> None:
    """The `ticket_created` hook: route a new, unassigned ticket whose group
    routes by skill; leave every other ticket alone."""
    if ticket.assignee_id is not None or not read.may_route(ticket.group_id):
        return
    settings = read.group_routing(ticket.group_id)
    if settings is None or not settings.enabled:
        return
    ticket_route(ticket=ticket, actor=None, trigger=RoutingTrigger.CREATED)


def routing_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Try again the unassigned tickets of groups that route: those never
    routed, those whose SLA time has passed another relaxation threshold,
    and the others every RETRY_AFTER. Each ticket in its own transaction;
    a decision that again finds nobody at the same step is not recorded.
    Returns how many tickets were assigned."""
    now = now or timezone.now()
    ids = read.unrouted_tickets(limit=limit)
    last = read.last_decisions(ids)
    thresholds = {
        row.group_id: tuple(int(t) for t in row.relax_thresholds or ())
        for row in GroupRouting.objects.filter(enabled=True)
    }
    assigned = 0
    for ticket_id in ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("customer", "service", "category", "group")
                .filter(pk=ticket_id, assignee__isnull=True, is_open=1)
                .first()
            )
            if ticket is None:
                continue
            previous = last.get(ticket_id)
            if previous is not None and now - previous.decided_at < RETRY_AFTER:
                step = engine.relax_step(
                    read.sla_used(ticket_id, now),
                    thresholds.get(ticket.group_id, engine.DEFAULT_RELAX_THRESHOLDS),
                )
                if step <= previous.relax_step:
                    continue
            record = _route(
                ticket=ticket,
                actor=None,
                now=now,
                trigger=RoutingTrigger.SWEEP,
                keep_unchanged=previous is None,
            )
            if record is not None and record.chosen_id is not None:
                assigned += 1
    return assigned


@dataclass(frozen=True)
class EscalationTarget:
    group: SupportGroup
    decision: engine.Decision
    fields: dict[str, Any]


def escalation_target(
    *,
    ticket: Ticket,
    group: SupportGroup | None = None,
    handler_id: int | None = None,
    now: datetime | None = None,
) -> EscalationTarget:
    """Whom an escalation of the ticket should reach: an agent of `group`
    (default: the ticket's own) with the ticket's skills one level above the
    wanted level and above the handler's own (default: its assignee), who is
    not the handler. Nothing is written."""
    now = now or timezone.now()
    group = group or ticket.group
    rules, skills = read.active_rules_and_skills()
    requirements = engine.requirements_for(read.ticket_facts(ticket), rules)
    skill_ids = [r.skill_id for r in requirements]
    handler = ticket.assignee_id if handler_id is None else handler_id
    handler_levels = (
        read.agent_levels([handler], skill_ids).get(handler, {})
        if handler is not None and skill_ids
        else {}
    )
    scale_max = {pk: info.scale_max for pk, info in skills.items()}
    raised = engine.escalation_requirements(requirements, handler_levels, scale_max)
    settings = _settings_of(read.group_routing(group.pk))
    members = read.group_agents(group.pk, skill_ids, now=now)
    decision = engine.route(
        agents=members.agents,
        requirements=raised,
        policy=settings.policy,
        workload_cap=settings.workload_cap,
        cursor=settings.cursor,
        exclude=() if handler is None else (handler,),
        keep=KEPT_CANDIDATES,
    )
    fields = decision_fields(
        decision,
        workload_cap=settings.workload_cap,
        thresholds=settings.thresholds,
        skills=skills,
        names=members.names,
    )
    return EscalationTarget(group=group, decision=decision, fields=fields)


@transaction.atomic
def route_escalated_ticket(
    *,
    ticket: Ticket,
    handler_id: int | None,
    actor: User | None = None,  # noqa: ARG001  # every ticket_escalated hook is handed it
) -> None:
    """The `ticket_escalated` hook: a ticket escalated without an assignee
    into a group that routes by skill goes to the escalation target, an
    agent with the ticket's skills one level above what it asked for and
    above the handler who escalated it. The decision is recorded either way;
    when nobody one level up has room, the sweep routes the ticket later at
    the ordinary levels."""
    if ticket.assignee_id is not None:
        return
    row = GroupRouting.objects.select_for_update().filter(group_id=ticket.group_id).first()
    if row is None or not row.enabled:
        return
    now = timezone.now()
    target = escalation_target(ticket=ticket, handler_id=handler_id, now=now)
    # The desk assigns as itself: the person who escalated may not assign in
    # the receiving group.
    _record_and_assign(
        ticket=ticket,
        row=row,
        fields=target.fields,
        now=now,
        trigger=RoutingTrigger.ESCALATION,
        actor=None,
    )
