"""How the mail channel answers the hooks of the apps below it
(settings NETDESK_HOOKS, documented in netdesk/core/hooks.py)."""

from __future__ import annotations

from netdesk.accounts.models import User
from netdesk.channels.services.incident_notices import incident_all_clear
from netdesk.noc.models import IncidentUpdate, NetworkIncident


def incident_resolved(
    *, incident: NetworkIncident, update: IncidentUpdate, actor: User | None
) -> None:
    """The customers notified of the incident are sent the all-clear."""
    incident_all_clear(incident=incident, update=update, actor=actor)
