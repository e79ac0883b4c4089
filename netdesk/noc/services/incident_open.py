"""Opening incidents: the row first, then (for one incident, or for all an
alarm batch opened at once) the opening update and the impact. A batch
that opens a thousand incidents on the OLTs writes their updates and
impact with a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.checks import checked_choice, checked_text
from netdesk.core.errors import ValidationFailed
from netdesk.noc.models import DetectedBy, IncidentUpdate, NetworkIncident
from netdesk.noc.rows import row_insert
from netdesk.noc.services.impact_refresh import incidents_impact_refresh

MAX_UPDATE_MINUTES = 24 * 60


def check_interval(minutes: int) -> None:
    if not 5 <= minutes <= MAX_UPDATE_MINUTES:
        raise ValidationFailed(
            f"An update every {minutes} minutes is out of range.",
            field="update_every_minutes",
            value=minutes,
            accepted=f"5 to {MAX_UPDATE_MINUTES} minutes",
        )


def incident_open_deferred(
    *,
    actor: User | None,
    title: str,
    detected_by: str,
    started_at: datetime | None = None,
    root_element_id: int | None = None,
    technical_description: str = "",
    customer_description: str = "",
    eta: datetime | None = None,
    update_every_minutes: int = 60,
    split_from: NetworkIncident | None = None,
) -> NetworkIncident:
    """The incident's row alone (one INSERT, in the caller's transaction):
    an alarm batch opens many and then finishes them all at once with
    `incidents_open_finish` (their opening updates and impact)."""
    require(actor, Action.INCIDENT_MANAGE)
    title = checked_text("title", title, 200)
    checked_choice("detected_by", detected_by, DetectedBy.values)
    check_interval(update_every_minutes)
    now = timezone.now()
    started_at = started_at or now
    if started_at > now + timedelta(minutes=5):
        raise ValidationFailed(
            "An incident cannot start in the future.",
            field="started_at",
            value=started_at.isoformat(),
            accepted="a time up to now",
        )
    if eta is not None and eta < started_at:
        raise ValidationFailed(
            "The ETA is before the incident started.",
            field="eta",
            value=eta.isoformat(),
            accepted=f"a time after {started_at.isoformat()}",
        )
    incident = NetworkIncident(
        title=title,
        detected_by=detected_by,
        detected_by_user=actor,
        started_at=started_at,
        detected_at=now,
        root_element_id=root_element_id,
        technical_description=technical_description,
        customer_description=customer_description,
        eta=eta,
        update_every_minutes=update_every_minutes,
        next_update_due=now + timedelta(minutes=update_every_minutes),
        split_from=split_from,
    )
    row_insert(incident)
    return incident


def incidents_open_finish(*, incidents: Sequence[NetworkIncident], actor: User | None) -> None:
    """Each new incident's opening update and its impact, for all of them
    in a fixed number of queries."""
    IncidentUpdate.objects.bulk_create(
        [
            IncidentUpdate(
                incident=incident,
                at=incident.detected_at,
                author=actor,
                state=incident.state,
                technical_note=incident.technical_description or "Incident opened.",
                customer_message=incident.customer_description,
            )
            for incident in incidents
        ],
        batch_size=1000,
    )
    incidents_impact_refresh(incidents=incidents)
