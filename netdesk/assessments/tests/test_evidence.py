"""KPI evidence on hand-made tickets with a known case mix: observed,
expected, O/E and shrinkage worked out by hand in each test."""

from datetime import UTC, date, datetime, timedelta

import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.assessments.evidence import CellCount, kpi_evidence, period_bounds, standardise
from netdesk.reports.kpis import KpiScope, resolution_counts
from netdesk.routing.models import RoutingDecision
from netdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer
from netdesk.tickets import services
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START, END = T0 - timedelta(days=1), T0 + timedelta(days=10)
PHONE, EMAIL = "phone", "email"


def made(agent, channel, **fields):
    """A ticket of `agent` on `channel`, its figures set by hand."""
    ticket = f.ticket(agent, channel=channel)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=T0, **fields)
    return ticket


def resolved(agent, channel, fcr, **fields):
    return made(
        agent,
        channel,
        status="resolved",
        resolved_at=T0 + timedelta(hours=1),
        resolved_by=agent,
        first_contact_resolved=fcr,
        **fields,
    )


@pytest.fixture
def desk():
    """Agents A and B (the team) and C (elsewhere on the desk).

    First-contact resolution, phone / email:
      A: 3 of 4 / 0 of 1      B: 1 of 1 / 1 of 4      C: — / 0 of 5
    """
    a, b, c = f.user(), f.user(), f.user()
    for agent, phone_fcr, email_fcr in [
        (a, [True, True, True, False], [False]),
        (b, [True], [True, False, False, False]),
        (c, [], [False] * 5),
    ]:
        for fcr in phone_fcr:
            resolved(agent, PHONE, fcr)
        for fcr in email_fcr:
            resolved(agent, EMAIL, fcr)
    return a, b, c


def test_case_mix_and_shrinkage_against_the_team(desk):
    a, b, _ = desk
    evidence = kpi_evidence(
        agent_ids=[a.pk, b.pk], start=START, end=END, shrinkage_k=5, reference="team"
    )
    # Team rates: phone 4/5 = 0.8, email 1/5 = 0.2.
    # A: observed 3/5 = 0.6; expected (4·0.8 + 1·0.2)/5 = 0.68; O/E = 3/3.4
    # B: observed 2/5 = 0.4; expected (1·0.8 + 4·0.2)/5 = 0.32; O/E = 2/1.6
    # Team O/E = (3 + 2)/(3.4 + 1.6) = 1; w = 5/(5 + 5) = 0.5.
    fcr_a = evidence[a.pk]["first_contact_resolution"]
    fcr_b = evidence[b.pk]["first_contact_resolution"]
    assert fcr_a.tickets == 5
    assert fcr_a.observed == pytest.approx(0.6)
    assert fcr_a.expected == pytest.approx(0.68)
    assert fcr_a.ratio == pytest.approx(3 / 3.4)
    assert fcr_b.ratio == pytest.approx(1.25)
    assert fcr_a.team_ratio == pytest.approx(1.0)
    assert fcr_a.weight == pytest.approx(0.5)
    assert fcr_a.shrunk_ratio == pytest.approx(0.5 * 3 / 3.4 + 0.5)
    assert fcr_b.shrunk_ratio == pytest.approx(0.5 * 1.25 + 0.5)
    # Adjusted = shrunk × the team's overall rate 5/10: B, with the harder
    # email mix, comes out ahead of A although A's raw rate is higher.
    assert fcr_a.adjusted == pytest.approx((0.5 * 3 / 3.4 + 0.5) * 0.5)
    assert fcr_a.adjusted is not None
    assert fcr_b.adjusted is not None
    assert fcr_b.adjusted > fcr_a.adjusted


def test_case_mix_against_the_whole_desk(desk):
    a, b, _ = desk
    evidence = kpi_evidence(agent_ids=[a.pk, b.pk], start=START, end=END, shrinkage_k=0)
    # Desk rates with C's five email tickets: phone 4/5 = 0.8, email 1/10 = 0.1.
    # A: expected 4·0.8 + 1·0.1 = 3.3 → O/E 3/3.3; B: 0.8 + 0.4 = 1.2 → 2/1.2.
    # Team O/E = 5/4.5; k = 0: no shrinkage, w = 1.
    fcr_a = evidence[a.pk]["first_contact_resolution"]
    fcr_b = evidence[b.pk]["first_contact_resolution"]
    assert fcr_a.ratio == pytest.approx(3 / 3.3)
    assert fcr_b.ratio == pytest.approx(2 / 1.2)
    assert fcr_a.team_ratio == pytest.approx(5 / 4.5)
    assert fcr_a.weight == 1.0
    assert fcr_a.shrunk_ratio == pytest.approx(fcr_a.ratio)
    # The desk's overall rate is 5/15.
    assert fcr_b.adjusted == pytest.approx(2 / 1.2 * 5 / 15)


def test_raw_counts_match_the_kpi_report(desk):
    a, _, _ = desk
    evidence = kpi_evidence(agent_ids=[a.pk], start=START, end=END)[a.pk]
    report = resolution_counts(KpiScope(start=START, end=END, agent_id=a.pk))
    fcr = evidence["first_contact_resolution"]
    assert fcr.tickets == report["requests_solved"]
    assert fcr.observed is not None
    assert round(fcr.observed, 4) == report["first_contact_rate"]
    reopen = evidence["reopen_rate"].observed
    assert reopen is not None
    assert round(reopen, 4) == report["reopen_rate"]
    without_escalation = evidence["solved_without_escalation"].observed
    assert without_escalation is not None
    assert round(without_escalation, 4) == report["without_escalation_rate"]


def test_satisfaction_without_answered_surveys_has_no_figure(desk):
    a, _, _ = desk
    satisfaction = kpi_evidence(agent_ids=[a.pk], start=START, end=END)[a.pk][
        "customer_satisfaction"
    ]
    assert satisfaction.observed is None
    assert satisfaction.tickets == 0
    assert satisfaction.note == "no answered survey in the period"


def test_first_response_time_lower_is_better_mix():
    a, b = f.user(), f.user()
    for agent, channel, minutes in [
        (a, PHONE, 10),
        (a, PHONE, 20),
        (b, PHONE, 30),
        (b, EMAIL, 60),
    ]:
        made(agent, channel, first_response_at=T0 + timedelta(minutes=minutes))
    made(a, EMAIL)  # never responded: not counted
    evidence = kpi_evidence(agent_ids=[a.pk, b.pk], start=START, end=END, reference="team")
    # Team means: phone (600 + 1200 + 1800)/3 = 1200 s, email 3600 s.
    # A: observed 900, expected 1200 → 0.75; B: observed 2700, expected 2400 → 1.125.
    frt_a = evidence[a.pk]["first_response_time"]
    frt_b = evidence[b.pk]["first_response_time"]
    assert frt_a.tickets == 2
    assert frt_a.observed == pytest.approx(900)
    assert frt_a.expected == pytest.approx(1200)
    assert frt_a.ratio == pytest.approx(0.75)
    assert frt_b.ratio == pytest.approx(1.125)
    assert frt_a.team_ratio == pytest.approx(1.0)
    assert frt_a.higher_is_better is False
    # Responded to, phone / email: A 2 of 2 / 0 of 1, B 1 of 1 / 1 of 1.
    # Team rates: phone 1.0, email 0.5; A: 2 / (2·1.0 + 1·0.5) = 0.8; B: 2 / 1.5.
    assert evidence[a.pk]["response_rate"].ratio == pytest.approx(0.8)
    assert evidence[b.pk]["response_rate"].ratio == pytest.approx(2 / 1.5)


def test_escalation_accuracy_counts_bounced_back_escalations():
    hotline = f.group(TierKind.FIRST_LINE)
    noc_group = f.group(TierKind.SECOND_LINE)
    operator = f.user(groups=[hotline])
    noc = f.user(Role.NOC_ENGINEER, groups=[noc_group])
    bounced = f.ticket(operator)
    kept = f.ticket(operator)
    for ticket in (bounced, kept):
        services.ticket_escalate_functional(
            actor=operator, ticket=ticket, group=noc_group, reason="line test"
        )
    services.ticket_escalate_functional(
        actor=noc, ticket=bounced, group=hotline, reason="not a network fault"
    )
    now = datetime.now(UTC)
    evidence = kpi_evidence(
        agent_ids=[operator.pk, noc.pk],
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
    )
    accuracy = evidence[operator.pk]["escalation_accuracy"]
    assert accuracy.tickets == 2
    assert accuracy.observed == 0.5
    # The NOC's escalation back was not bounced again.
    assert evidence[noc.pk]["escalation_accuracy"].observed == 1.0


def test_sla_compliance_of_the_agents_resolved_tickets():
    calendar = BusinessCalendar.objects.create(name="always", always_open=True)
    policy = SlaPolicy.objects.create(name="Standard", calendar=calendar)
    a = f.user()
    for breached in [None, None, T0 + timedelta(hours=2)]:
        ticket = resolved(a, PHONE, False)
        SlaTimer.objects.filter(ticket=ticket).delete()
        SlaTimer.objects.create(
            ticket=ticket,
            policy=policy,
            kind="sla",
            metric="resolution",
            started_at=T0,
            target_seconds=3600,
            state="breached" if breached else "met",
            stopped_at=T0 + timedelta(hours=3),
            breached_at=breached,
            computed_at=T0,
        )
    compliance = kpi_evidence(agent_ids=[a.pk], start=START, end=END)[a.pk]["sla_compliance"]
    assert compliance.tickets == 3
    assert compliance.observed == pytest.approx(2 / 3)


def test_tickets_outside_the_agents_level_can_be_left_out(desk):
    a, b, _ = desk
    # One of A's failed phone tickets was routed to A only by relaxing a requirement.
    outside = Ticket.objects.filter(
        resolved_by=a, channel=PHONE, first_contact_resolved=False
    ).get()
    RoutingDecision.objects.create(
        ticket=outside, decided_at=T0, policy="least_sufficient", chosen=a, within_level=False
    )
    # Routed within level to B: stays.
    routed = Ticket.objects.filter(resolved_by=b).first()
    assert routed is not None
    RoutingDecision.objects.create(
        ticket=routed,
        decided_at=T0,
        policy="least_sufficient",
        chosen=b,
        within_level=True,
    )
    kept = kpi_evidence(agent_ids=[a.pk, b.pk], start=START, end=END)
    left_out = kpi_evidence(
        agent_ids=[a.pk, b.pk], start=START, end=END, exclude_outside_level=True
    )
    assert kept[a.pk]["first_contact_resolution"].observed == pytest.approx(3 / 5)
    assert left_out[a.pk]["first_contact_resolution"].observed == pytest.approx(3 / 4)
    assert left_out[b.pk]["first_contact_resolution"].tickets == 5


def test_fixed_number_of_queries_for_a_team(desk, django_assert_max_num_queries):
    a, b, c = desk
    more = [f.user() for _ in range(5)]
    for agent in more:
        resolved(agent, PHONE, True)
    # Resolutions, responses, escalations, service levels, satisfaction.
    with django_assert_max_num_queries(5):
        evidence = kpi_evidence(
            agent_ids=[a.pk, b.pk, c.pk, *(m.pk for m in more)], start=START, end=END
        )
    assert len(evidence) == 8


def test_standardise_edge_cases():
    # No tickets: no ratio, weight 0. Zero expected everywhere: no ratio.
    rows = [CellCount(1, (None, 3, "phone"), 4, 0), CellCount(2, (None, 3, "phone"), 2, 0)]
    evidence = standardise(rows, kpi="first_contact_resolution", agent_ids=[1, 3], shrinkage_k=5)
    assert evidence[1].ratio is None
    assert "expected value is 0" in evidence[1].note
    assert evidence[3].tickets == 0
    assert evidence[3].weight == 0.0
    assert evidence[3].note == "no tickets in the period"


def test_period_bounds_include_the_last_day():
    start, end = period_bounds(date(2026, 3, 1), date(2026, 3, 31))
    assert start == datetime(2026, 3, 1, tzinfo=UTC)
    assert end == datetime(2026, 4, 1, tzinfo=UTC)
