"""The ticket's timeline is written by this package and nowhere else: one
function per kind of event, named for what happened, so each kind is worded
and filled in the same way whoever records it (the ticket services, service
levels, the NOC, importers and the demo's history)."""

from netdesk.tickets.events.conversation import (
    event_attachment_added,
    event_interaction_logged,
    event_linked,
    event_merged,
    event_note_added,
    event_parent_set,
    event_reply_added,
    event_unlinked,
)
from netdesk.tickets.events.history import PastEvent, events_replayed
from netdesk.tickets.events.lifecycle import (
    event_assigned,
    event_closed,
    event_created,
    event_deescalated,
    event_escalated_functional,
    event_escalated_hierarchical,
    event_fields_changed,
    event_reopened,
    event_resolved,
    event_status_changed,
)
from netdesk.tickets.events.network import (
    eta_sentence,
    event_incident_linked,
    event_incident_resolved,
    event_incident_unlinked,
    event_incident_updated,
    event_troubleshooting_answered,
    event_troubleshooting_closed,
    event_troubleshooting_requested,
    incident_update_text,
)
from netdesk.tickets.events.rows import FieldChange
from netdesk.tickets.events.service_levels import (
    ServiceLevelAlert,
    event_sla_escalation,
    events_sla_alerts,
)

__all__ = [
    "FieldChange",
    "PastEvent",
    "ServiceLevelAlert",
    "eta_sentence",
    "event_assigned",
    "event_attachment_added",
    "event_closed",
    "event_created",
    "event_deescalated",
    "event_escalated_functional",
    "event_escalated_hierarchical",
    "event_fields_changed",
    "event_incident_linked",
    "event_incident_resolved",
    "event_incident_unlinked",
    "event_incident_updated",
    "event_interaction_logged",
    "event_linked",
    "event_merged",
    "event_note_added",
    "event_parent_set",
    "event_reopened",
    "event_reply_added",
    "event_resolved",
    "event_sla_escalation",
    "event_status_changed",
    "event_troubleshooting_answered",
    "event_troubleshooting_closed",
    "event_troubleshooting_requested",
    "event_unlinked",
    "events_replayed",
    "events_sla_alerts",
    "incident_update_text",
]
