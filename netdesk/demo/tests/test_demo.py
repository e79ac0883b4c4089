"""`netdesk demo` end to end on a small desk: counts, roles, and ticket
fields that agree with their timeline, as the KPIs need."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q

from netdesk.accounts.models import Role, SupportGroup, TierKind, User
from netdesk.assessments.models import (
    Assessment,
    AssessmentCycle,
    AssessmentState,
    ExamAttempt,
    ExamQuestion,
    Rating,
    RatingKind,
)
from netdesk.assessments.selectors import (
    cycle_agreement,
    cycle_progress,
    cycles_visible_to,
    exam_get,
)
from netdesk.channels.models import (
    InboundMessage,
    InboundState,
    Mailbox,
    OutboundMessage,
    OutboundState,
    Outcome,
    Source,
)
from netdesk.competency.models import AgentSkill, LevelSource
from netdesk.competency.selectors import agent_levels
from netdesk.customers.models import Contact, Customer, Segment, Service
from netdesk.demo.assessment import EVIDENCE_DAYS, EXAM_QUESTIONS
from netdesk.demo.models import DemoRun
from netdesk.demo.questions import QUESTIONS
from netdesk.demo.reset import demo_delete
from netdesk.network.models import Area, ElementKind, NetworkElement
from netdesk.noc.models import IncidentTicket, NetworkIncident
from netdesk.routing.models import GroupRouting, RoutingDecision, RoutingRule
from netdesk.tickets.choices import OPEN_STATUSES, Status
from netdesk.tickets.models import Interaction, Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind

pytestmark = pytest.mark.django_db

SMALL = {"subscribers": 200, "tickets": 500, "no_serve": True, "verbosity": 0}


def mail_tickets() -> int:
    """Tickets the demo mail opened, beyond the history and the outages' (a
    fault mailed in from a customer on the failed path joins the outage)."""
    return (
        Ticket.objects.filter(inbound_mail__source=Source.DEMO)
        .exclude(pk__in=IncidentTicket.objects.values("ticket"))
        .distinct()
        .count()
    )


def run_demo(**options: object) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def test_demo_loads_a_small_desk_and_prints_the_logins() -> None:
    output = run_demo()

    assert Customer.objects.filter(is_placeholder=False).count() == 200
    # The history, plus the tickets callers opened about the demo's outages and its mail.
    assert Ticket.objects.count() == 500 + IncidentTicket.objects.count() + mail_tickets()
    live = NetworkIncident.objects.get(state="identified")
    assert live.root_element is not None
    assert live.root_element.kind == ElementKind.AGGREGATION_SWITCH
    assert live.eta is not None
    assert live.links.exists()
    assert live.alarms.count() >= 2
    assert NetworkIncident.objects.filter(state="resolved", root_cause="power").exists()
    assert Contact.objects.count() >= 200
    assert Service.objects.count() >= 200
    assert NetworkElement.objects.filter(kind=ElementKind.CORE_ROUTER).exists()
    assert NetworkElement.objects.filter(kind=ElementKind.OLT, upstream__isnull=False).exists()
    assert Area.objects.filter(parent__isnull=False).count() == 20
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert Customer.objects.filter(segment=Segment.KEY_ACCOUNT).exclude(account_manager=None)
    assert all(group.supervisor_id for group in SupportGroup.objects.all())
    for username in ("hotline", "noc", "field", "teamlead", "manager", "accounts", "admin"):
        assert username in output
        assert User.objects.get(username=username).check_password("demo-password-1")
    assert "Demo loaded in" in output


def test_demo_ticket_fields_agree_with_their_history() -> None:
    run_demo()
    tickets = Ticket.objects.all()

    resolved = tickets.filter(resolved_at__isnull=False)
    assert resolved.exists()
    assert not resolved.filter(resolved_at__lt=F("created_at")).exists()
    assert not resolved.filter(resolved_by__isnull=True).exists()
    assert not tickets.filter(first_contact_resolved=True).exclude(highest_tier_level=1).exists()
    assert not tickets.filter(first_contact_resolved=True, functional_escalations__gt=0).exists()
    assert not tickets.filter(
        status__in=[Status.RESOLVED, Status.CLOSED], resolved_at=None
    ).exists()
    assert not tickets.filter(status__in=OPEN_STATUSES, closed_at__isnull=False).exists()
    assert not tickets.filter(status=Status.CLOSED, closed_at=None).exists()
    assert not tickets.filter(first_response_at__lt=F("created_at")).exists()
    created_events = tickets.annotate(
        created=Count("events", filter=Q(events__kind=EventKind.CREATED), distinct=True),
        contacts=Count("interactions", distinct=True),
    )
    assert not created_events.exclude(created=1).exists()
    assert not created_events.filter(contacts=0).exists()
    escalations = tickets.annotate(
        logged=Count(
            "events",
            filter=Q(events__kind=EventKind.ESCALATED_FUNCTIONAL, events__field="group"),
        )
    )
    assert not escalations.exclude(logged=F("functional_escalations")).exists()
    assert not tickets.filter(reopen_count__gt=0, first_contact_resolved=True).exists()

    share_fcr = resolved.filter(first_contact_resolved=True).count() / resolved.count()
    assert 0.5 < share_fcr < 0.8
    assert tickets.filter(highest_tier_level=3).exists()
    assert tickets.filter(status__in=OPEN_STATUSES).exists() or Ticket.objects.count() < 1000
    assert Interaction.objects.filter(duration_seconds__gt=0).exists()
    assert TicketEvent.objects.filter(kind=EventKind.CLOSED).exists()


def test_a_second_run_keeps_the_data_and_a_half_load_needs_reset() -> None:
    run_demo()

    run_demo()  # serves what is there (here: --no-serve), loads nothing more

    assert Ticket.objects.count() == 500 + IncidentTicket.objects.count() + mail_tickets()
    DemoRun.objects.update(finished=False)
    with pytest.raises(CommandError, match=r"stopped half-way.*--reset"):
        run_demo()


def test_reset_replaces_the_demo_data_and_the_seed_decides_it() -> None:
    run_demo(seed=7)
    first = list(Ticket.objects.order_by("id").values_list("ticket_type", "channel", "title"))
    incidents = NetworkIncident.objects.count()

    run_demo(seed=7, reset=True)

    assert DemoRun.objects.count() == 1
    assert Customer.objects.filter(is_placeholder=False).count() == 200
    assert Ticket.objects.count() == 500 + IncidentTicket.objects.count() + mail_tickets()
    assert NetworkIncident.objects.count() == incidents  # the old ones went with the reset
    assert RoutingRule.objects.count() == 9  # the old rules went too
    # The old cycle and question bank went too; the new load made its own.
    assert AssessmentCycle.objects.count() == 1
    assert ExamQuestion.objects.count() == len(QUESTIONS)
    again = list(Ticket.objects.order_by("id").values_list("ticket_type", "channel", "title"))
    assert again == first

    demo_delete()

    assert not AssessmentCycle.objects.exists()
    assert not ExamQuestion.objects.exists()
    assert not Assessment.objects.exists()
    assert not Rating.objects.exists()
    assert not User.objects.filter(username__in=["hotline", "teamlead", "manager"]).exists()


def test_the_first_line_routes_by_skill_with_levels_that_fit_its_rules() -> None:
    run_demo()

    first_line = SupportGroup.objects.get(tier__kind=TierKind.FIRST_LINE)
    settings = GroupRouting.objects.get(group=first_line)
    assert settings.enabled
    assert settings.policy == "least_sufficient"
    assert RoutingRule.objects.filter(skill__code="NET-DIAG", hard=True).count() == 2
    # Every hotline operator has a level in line diagnosis, enough of them
    # for urgent faults (level 3), and some take the key accounts' calls.
    operators = list(
        first_line.members.filter(role=Role.HOTLINE_OPERATOR).values_list("pk", flat=True)
    )
    diagnosis = dict(
        AgentSkill.objects.filter(agent__in=operators, skill__code="NET-DIAG").values_list(
            "agent_id", "level"
        )
    )
    assert set(diagnosis) == set(operators)
    assert sum(1 for level in diagnosis.values() if level >= 3) >= 3
    assert AgentSkill.objects.filter(agent__in=operators, skill__code="CS-KEYACCT").exists()
    # Tickets the demo's outages brought in were routed as they came.
    decisions = RoutingDecision.objects.filter(ticket__group=first_line)
    assert decisions.exists()
    assert (
        not Ticket.objects.filter(group=first_line, status__in=OPEN_STATUSES, assignee=None)
        .exclude(pk__in=decisions.values("ticket_id"))
        .exists()
    )


def test_the_hotline_team_has_an_assessment_cycle_under_way() -> None:
    run_demo()

    manager = User.objects.get(username="manager")
    lead = User.objects.get(username="teamlead")
    hotline = User.objects.get(username="hotline")
    cycle = AssessmentCycle.objects.get()
    assert cycle.closed_at is None
    assert cycle.created_by == manager
    assert (cycle.period_end - cycle.period_start).days == EVIDENCE_DAYS - 1
    # The question bank: enough questions for an exam in every skill and level it covers.
    bank = Counter(ExamQuestion.objects.values_list("skill__code", "level"))
    assert sum(bank.values()) == len(QUESTIONS)
    assert {code for code, _ in bank} == {"CS-COMPLAINT", "CS-INTERACT", "CS-SUPPORT", "NET-DIAG"}
    assert min(bank.values()) >= EXAM_QUESTIONS
    # The whole first line's team lead sees every assessment of the cycle.
    progress = {row["agent"]: row for row in cycle_progress(cycle, lead)}
    assert len(progress) == Assessment.objects.filter(cycle=cycle).count() == 7
    first_line = SupportGroup.objects.get(tier__kind=TierKind.FIRST_LINE)
    assert set(Assessment.objects.values_list("agent_id", flat=True)) <= set(
        first_line.members.filter(role=Role.HOTLINE_OPERATOR).values_list("pk", flat=True)
    )
    assert not Rating.objects.filter(assessor=F("assessment__agent")).exists()

    # Done: exams handed in, rated by the team lead and the manager, an
    # interview, synthesised and validated into the agents' levels.
    validated = list(Assessment.objects.filter(cycle=cycle, state=AssessmentState.VALIDATED))
    assert len(validated) == 4
    assert any(a.grade == "intermediate" for a in validated)
    for assessment in validated:
        row = progress[assessment.agent.username]
        assert row["exams_submitted"] == row["exams_drawn"] == row["skills"] == 4
        assert set(assessment.ratings.values_list("assessor__username", flat=True)) == {
            "teamlead",
            "manager",
        }
        assert assessment.ratings.filter(kind=RatingKind.INTERVIEW).exists()
        results = {r.skill_id: r.level for r in assessment.results.all()}
        assert results
        assert None not in results.values()
        records = AgentSkill.objects.filter(assessment=assessment)
        assert {r.skill_id: r.level for r in records} == results
        assert {r.source for r in records} == {LevelSource.ASSESSMENT}
        assert {r.recorded_by_id for r in records} == {manager.pk}
        current = agent_levels([assessment.agent_id], list(results))[assessment.agent_id]
        assert current == results

    # Under way: rated, not synthesised; the hotline login has an exam to take.
    under_way = Assessment.objects.filter(cycle=cycle, state=AssessmentState.OPEN)
    assert under_way.count() == 3
    assert not AgentSkill.objects.filter(assessment__in=under_way).exists()
    assert all(a.ratings.exists() and not a.results.exists() for a in under_way)
    mine = Assessment.objects.get(cycle=cycle, agent=hotline)
    assert mine.state == AssessmentState.OPEN
    pending = ExamAttempt.objects.get(assessment=mine, submitted_at=None)
    assert exam_get(hotline, pending.pk) == pending
    assert list(cycles_visible_to(hotline)) == [cycle]

    # Two raters on the same indicators: the agreement has numbers.
    agreement = cycle_agreement(cycle)
    assert set(agreement["observation"]["raters"]) == {"teamlead", "manager"}
    for kind in ("observation", "all"):
        assert agreement[kind]["kappa_quadratic"]["value"] is not None
        assert agreement[kind]["icc_single"]["value"] is not None


def test_the_demo_mailbox_holds_mail_in_every_state_and_reset_removes_it() -> None:
    run_demo()

    box = Mailbox.objects.get(name="support")
    assert not box.imap_host  # no mail server needed
    mail = InboundMessage.objects.filter(mailbox=box)
    assert set(mail.values_list("outcome", flat=True)) == {
        Outcome.TICKET_CREATED,
        Outcome.AUTO_REPLY,
        Outcome.REPLY_ADDED,
        Outcome.BOUNCE,
        Outcome.QUARANTINED,
    }
    report = mail.filter(outcome=Outcome.TICKET_CREATED).order_by("pk").first()
    assert report is not None
    answer = mail.get(outcome=Outcome.REPLY_ADDED)
    assert answer.ticket == report.ticket
    assert mail.get(outcome=Outcome.AUTO_REPLY).ticket == report.ticket
    assert mail.get(state=InboundState.QUARANTINED).reason
    stranger = Contact.objects.get(email="jonas.fischer@example.org")
    assert not stranger.verified
    assert stranger.customer.is_placeholder
    assert stranger.email_bouncing
    assert OutboundMessage.objects.filter(state=OutboundState.BOUNCED).count() == 1
    assert Ticket.objects.filter(inbound_mail__source=Source.DEMO).distinct().count() == 2

    demo_delete()

    assert not Mailbox.objects.exists()
    assert not InboundMessage.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not Contact.objects.filter(email="jonas.fischer@example.org").exists()
