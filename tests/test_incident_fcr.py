"""Tickets resolved because the network came back were not resolved on the
first contact: neither the KPI report nor the competency evidence counts
them as first-contact resolutions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.assessments.evidence import kpi_evidence
from netdesk.network.selectors import topology_changed
from netdesk.noc.services.incidents import incident_create, incident_resolve
from netdesk.reports.kpis import KpiScope, resolution_counts
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved():
    """Two faults resolved with their incident by the NOC engineer, one
    resolved by the operator on the call, one resolved by hand as network
    restored."""
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    operator = f.user()
    olt = f.element("OLT-FCR")
    customers = [f.customer() for _ in range(4)]
    services = [f.service(c, access_element=olt) for c in customers[:2]]
    topology_changed()
    incident = incident_create(actor=noc, title="OLT down", detected_by="manual", root_element=olt)
    children = [f.ticket(operator, c, service=s) for c, s in zip(customers, services, strict=False)]
    by_hand = f.ticket(operator, customers[2])  # not on the incident's path
    incident_resolve(
        actor=noc,
        incident=incident,
        root_cause="hardware",
        customer_message="Service restored.",
        resolve_children=True,
    )
    ticket_resolve(
        actor=operator, ticket=by_hand, resolution_code="network_restored", root_cause="hardware"
    )
    on_the_call = f.ticket(operator, customers[3], ticket_type="billing_inquiry")
    ticket_resolve(actor=operator, ticket=on_the_call, resolution_code="information_given")
    return {"noc": noc, "operator": operator, "children": children, "by_hand": by_hand}


def test_network_restored_tickets_are_not_first_contact_resolutions(resolved):
    flags = {
        t.pk: t.first_contact_resolved
        for t in Ticket.objects.filter(resolution_code="network_restored")
    }
    assert len(flags) == 3
    assert not any(flags.values())


def test_the_kpi_report_counts_them_solved_but_not_on_first_contact(resolved):
    now = timezone.now()
    scope = KpiScope(start=now - timedelta(hours=1), end=now + timedelta(hours=1))
    # 4 solved: 3 by the network coming back, 1 on the call.
    counts = resolution_counts(scope)
    assert (counts["requests_solved"], counts["solved_first_contact"]) == (4, 1)
    assert counts["first_contact_rate"] == 0.25
    noc_counts = resolution_counts(
        KpiScope(start=scope.start, end=scope.end, agent_id=resolved["noc"].pk)
    )
    assert (noc_counts["requests_solved"], noc_counts["solved_first_contact"]) == (2, 0)


def test_the_competency_evidence_gives_no_first_contact_credit_for_them(resolved):
    now = timezone.now()
    noc, operator = resolved["noc"], resolved["operator"]
    evidence = kpi_evidence(
        agent_ids=[noc.pk, operator.pk],
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
    )
    assert evidence[noc.pk]["first_contact_resolution"].tickets == 2
    assert evidence[noc.pk]["first_contact_resolution"].observed == 0.0
    # The operator: the network-restored one by hand and the one on the call.
    assert evidence[operator.pk]["first_contact_resolution"].tickets == 2
    assert evidence[operator.pk]["first_contact_resolution"].observed == 0.5
