"""What the NOC works with: alarms, network incidents and their impact,
maintenance windows, suspected outages and the liaison with customer service."""

from netdesk.noc.models.alarms import (
    Alarm,
    AlarmSeverity,
    AlarmSource,
    AlarmState,
    RejectedInput,
    RootCauseModel,
)
from netdesk.noc.models.baselines import ComplaintBaseline
from netdesk.noc.models.impact import ImpactCustomer, ImpactElement, ImpactPair
from netdesk.noc.models.incidents import (
    DetectedBy,
    IncidentState,
    IncidentTicket,
    IncidentUpdate,
    NetworkIncident,
)
from netdesk.noc.models.liaison import LiaisonKind, LiaisonRecord
from netdesk.noc.models.maintenance import MaintenanceWindow
from netdesk.noc.models.outages import OutageConfidence, OutageState, SuspectedOutage

__all__ = [
    "Alarm",
    "AlarmSeverity",
    "AlarmSource",
    "AlarmState",
    "ComplaintBaseline",
    "DetectedBy",
    "ImpactCustomer",
    "ImpactElement",
    "ImpactPair",
    "IncidentState",
    "IncidentTicket",
    "IncidentUpdate",
    "LiaisonKind",
    "LiaisonRecord",
    "MaintenanceWindow",
    "NetworkIncident",
    "OutageConfidence",
    "OutageState",
    "RejectedInput",
    "RootCauseModel",
    "SuspectedOutage",
]
