"""Skipping is only safe if it never skips a ticket whose figures would
move: after any sequence of changes to policies, calendars, rules,
customers and tickets, a recompute that skips unchanged inputs leaves
exactly the figures that recomputing every ticket (`force`) gives."""

import os
import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from netdesk.customers.models import Customer, Segment
from netdesk.sla import fingerprint
from netdesk.sla.models import (
    BusinessCalendar,
    EscalationAction,
    EscalationRule,
    Holiday,
    Metric,
    NotifyWhom,
    PolicyKind,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    WorkingHours,
)
from netdesk.sla.recompute import sla_recompute_many
from netdesk.sla.selectors import policies_changed
from netdesk.sla.timers import FIGURES
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

SUMMARY = ("sla_next_due_at", "sla_warn_at", "sla_paused", "sla_breached")


def figures() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    timers = SlaTimer.objects.order_by("ticket_id", "kind", "metric", "group_id", "started_at")
    tickets = Ticket.objects.order_by("pk")
    return (
        list(timers.values_list("ticket_id", "kind", "metric", "group_id", *FIGURES)),
        list(tickets.values_list("pk", *SUMMARY)),
    )


def desk(rng: random.Random) -> dict[str, list[Any]]:
    SlaPolicy.objects.all().delete()
    calendars = []
    for n, closes in enumerate((time(18), time(23, 59))):
        calendar = BusinessCalendar.objects.create(name=f"equivalence {n}")
        for weekday in range(5 if n == 0 else 7):
            WorkingHours.objects.create(
                calendar=calendar, weekday=weekday, opens=time(8 if n == 0 else 0), closes=closes
            )
        calendars.append(calendar)
    policies = [
        SlaPolicy.objects.create(
            name="Key accounts", rank=1, calendar=calendars[1], match_segment=Segment.KEY_ACCOUNT
        ),
        SlaPolicy.objects.create(name="Urgent", rank=2, calendar=calendars[1], match_priority=1),
        SlaPolicy.objects.create(name="Standard", rank=3, calendar=calendars[0]),
    ]
    for policy in policies:
        SlaTarget.objects.create(policy=policy, metric=Metric.FIRST_RESPONSE, minutes=60)
        SlaTarget.objects.create(
            policy=policy, metric=Metric.RESOLUTION, minutes=rng.choice((120, 240, 480))
        )
    policies_changed()
    customers = [
        f.customer(rng.choice((Segment.RESIDENTIAL, Segment.BUSINESS, Segment.KEY_ACCOUNT)))
        for _ in range(4)
    ]
    # Sites of the first account: served as key accounts while it is one.
    customers += [f.customer(Segment.BUSINESS, parent_account=customers[0]) for _ in range(2)]
    operator = f.user()
    tickets = [
        f.ticket(
            operator,
            rng.choice(customers),
            channel="email",
            impact=rng.choice((1, 2, 3)),
            urgency=rng.choice((1, 2, 3)),
        )
        for _ in range(14)
    ]
    return {
        "calendars": calendars,
        "policies": policies,
        "customers": customers,
        "tickets": tickets,
    }


def changes(rng: random.Random, made: dict[str, list[Any]]) -> list[Callable[[], None]]:
    """Every kind of change the fingerprint must notice, each picking its
    object at random."""

    def target_edited() -> None:
        policy = rng.choice(made["policies"])
        SlaTarget.objects.filter(policy=policy, metric=Metric.RESOLUTION).update(
            minutes=rng.choice((60, 180, 300, 600))
        )

    def ranks_swapped() -> None:
        first, second = rng.sample(made["policies"], 2)
        SlaPolicy.objects.filter(pk=first.pk).update(rank=second.rank)
        SlaPolicy.objects.filter(pk=second.pk).update(rank=first.rank)
        first.rank, second.rank = second.rank, first.rank

    def condition_changed() -> None:
        policy = rng.choice(made["policies"])
        SlaPolicy.objects.filter(pk=policy.pk).update(match_priority=rng.choice((None, 2, 3)))

    def policy_added() -> None:
        policy = SlaPolicy.objects.create(
            name=f"Added {rng.random()}",
            rank=0,
            calendar=rng.choice(made["calendars"]),
            match_segment=rng.choice((Segment.BUSINESS, Segment.RESIDENTIAL)),
        )
        SlaTarget.objects.create(policy=policy, metric=Metric.RESOLUTION, minutes=90)
        made["policies"].append(policy)

    def policy_deactivated() -> None:
        policy = rng.choice(made["policies"])
        SlaPolicy.objects.filter(pk=policy.pk).update(is_active=False)
        made["policies"].remove(policy)

    def holiday_added() -> None:
        day = timezone.localdate() + timedelta(days=rng.randrange(0, 5))
        Holiday.objects.get_or_create(
            calendar=rng.choice(made["calendars"]), date=day, defaults={"name": "Closed"}
        )

    def hours_changed() -> None:
        calendar = rng.choice(made["calendars"])
        WorkingHours.objects.filter(calendar=calendar).update(opens=time(rng.choice((7, 9))))

    def ola_added() -> None:
        ola = SlaPolicy.objects.create(
            name=f"OLA {rng.random()}",
            kind=PolicyKind.OLA,
            rank=1,
            calendar=made["calendars"][0],
            receiving_group=rng.choice(made["tickets"]).group,
        )
        SlaTarget.objects.create(policy=ola, metric=Metric.RESOLUTION, minutes=120)

    def segment_changed() -> None:
        customer: Customer = rng.choice(made["customers"])
        Customer.objects.filter(pk=customer.pk).update(
            segment=rng.choice((Segment.RESIDENTIAL, Segment.BUSINESS, Segment.KEY_ACCOUNT))
        )

    def priority_changed() -> None:
        ticket = rng.choice(made["tickets"])
        Ticket.objects.filter(pk=ticket.pk).update(priority=rng.choice((1, 2, 3, 4)))

    return [
        target_edited,
        ranks_swapped,
        condition_changed,
        policy_added,
        policy_deactivated,
        holiday_added,
        hours_changed,
        ola_added,
        *rule_changes(rng),
        segment_changed,
        priority_changed,
    ]


def rule_changes(rng: random.Random) -> list[Callable[[], None]]:
    """Escalation rules added (twice as likely: the others need one),
    edited and removed, with any of the conditions a rule can have."""

    def rule_added() -> None:
        policies = list(SlaPolicy.objects.all())
        EscalationRule.objects.create(
            name="Tell the lead",
            at_percent=rng.choice((50, 80, 100, 150)),
            action=EscalationAction.NOTIFY,
            notify=NotifyWhom.TEAM_LEAD,
            kind=rng.choice(("", PolicyKind.SLA, PolicyKind.OLA)),
            metric=rng.choice(("", Metric.FIRST_RESPONSE, Metric.RESOLUTION)),
            policy=rng.choice([None, *policies]),
            match_priority=rng.choice((None, 1, 3)),
            match_segment=rng.choice(("", Segment.KEY_ACCOUNT, Segment.RESIDENTIAL)),
        )

    def rule_edited() -> None:
        rules = list(EscalationRule.objects.order_by("pk"))
        if rules:
            rule = rng.choice(rules)
            rule.at_percent = rng.choice((40, 60, 90, 120))
            rule.match_priority = rng.choice((None, 1, 2, 3))
            rule.save()

    def rule_removed() -> None:
        rules = list(EscalationRule.objects.order_by("pk"))
        if rules:
            rng.choice(rules).delete()

    return [rule_added, rule_added, rule_edited, rule_removed]


@pytest.mark.parametrize("seed", range(int(os.environ.get("NETDESK_TEST_SEEDS", "4"))))
def test_skipping_leaves_what_recomputing_every_ticket_gives(seed: int) -> None:
    rng = random.Random(seed)
    made = desk(rng)
    # Up to a week ahead: clocks running, breached, or waiting over a
    # closed night or weekend, whatever the hour the suite runs at.
    now: datetime = timezone.now() + timedelta(hours=rng.randrange(0, 168))
    sla_recompute_many(tickets=Ticket.objects.all(), now=now)
    possible = changes(rng, made)
    for step in range(12):
        change = rng.choice(possible)
        if change.__name__ in {"policy_deactivated", "ranks_swapped"} and len(made["policies"]) < 2:
            continue  # both need two SLA policies
        change()
        policies_changed()
        now += timedelta(minutes=rng.choice((1, 30, 240)))
        sla_recompute_many(tickets=Ticket.objects.all(), now=now)
        skipped = figures()
        sla_recompute_many(tickets=Ticket.objects.all(), now=now, force=True)
        assert figures() == skipped, f"seed {seed}, step {step}: {change.__name__}"


def test_every_condition_a_policy_can_have_is_read_by_the_fingerprint() -> None:
    """A new `match_...` field on SlaPolicy must tell the fingerprint which
    columns it reads, or tickets it tells apart would share a lookup."""
    conditions = {
        field.attname
        for field in SlaPolicy._meta.concrete_fields
        if field.name.startswith("match_")
    }
    assert conditions == set(fingerprint._CONDITION_COLUMNS)


def test_every_condition_a_rule_can_have_is_read_by_the_fingerprint() -> None:
    """`PolicyDigests.key_for` keeps the rules whose priority and segment
    conditions a ticket meets: a new condition must be read there too."""
    conditions = {
        field.attname
        for field in EscalationRule._meta.concrete_fields
        if field.name.startswith("match_")
    }
    assert conditions == {"match_priority", "match_segment"}
