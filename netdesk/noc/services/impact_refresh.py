"""Recounting incidents' impact, many at once: an alarm batch that opens a
thousand incidents on the OLTs recounts them with a fixed number of
queries (their elements, their key accounts, the writes), not a handful
per incident."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from netdesk.core.bulk import rows_update
from netdesk.noc.impact import impact_of
from netdesk.noc.models import NetworkIncident

IMPACT_FIELDS = ["affected_services", "affected_customers", "impact_computed_at"]


def _elements(incidents: Sequence[NetworkIncident]) -> dict[int, set[int]]:
    """Each incident's elements: its root and the elements added to it."""
    through = NetworkIncident.elements.through
    found: dict[int, set[int]] = {i.pk: set() for i in incidents}
    for incident_id, element_id in through.objects.filter(
        networkincident_id__in=list(found)
    ).values_list("networkincident_id", "networkelement_id"):
        found[incident_id].add(element_id)
    for incident in incidents:
        if incident.root_element_id:
            found[incident.pk].add(incident.root_element_id)
    return found


def _key_accounts_set(wanted: dict[int, set[int]]) -> None:
    """Each incident's affected key accounts become exactly `wanted`."""
    through = NetworkIncident.affected_key_accounts.through
    have: dict[int, set[int]] = {pk: set() for pk in wanted}
    stale: list[int] = []
    for row_id, incident_id, customer_id in through.objects.filter(
        networkincident_id__in=list(wanted)
    ).values_list("id", "networkincident_id", "customer_id"):
        have[incident_id].add(customer_id)
        if customer_id not in wanted[incident_id]:
            stale.append(row_id)
    if stale:
        through.objects.filter(pk__in=stale).delete()
    through.objects.bulk_create(
        [
            through(networkincident_id=pk, customer_id=customer)
            for pk, accounts in wanted.items()
            for customer in sorted(accounts - have[pk])
        ],
        batch_size=1000,
    )


def incidents_impact_refresh(
    *, incidents: Sequence[NetworkIncident], now: datetime | None = None
) -> None:
    """Recount the services, customers and key accounts below each
    incident's elements (after any change to its elements)."""
    if not incidents:
        return
    now = now or timezone.now()
    elements = _elements(incidents)
    accounts: dict[int, set[int]] = {}
    for incident in incidents:
        impact = impact_of(elements[incident.pk])
        incident.affected_services = impact.services
        incident.affected_customers = impact.customers
        incident.impact_computed_at = now
        accounts[incident.pk] = set(impact.key_account_ids)
    rows_update(NetworkIncident, incidents, IMPACT_FIELDS)
    _key_accounts_set(accounts)
