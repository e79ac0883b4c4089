"""Naming an incident's likeliest root alarm (placeholder until the ranking
lands: it leaves the incident as it is)."""

from __future__ import annotations

from datetime import datetime

from netdesk.noc.models import NetworkIncident


def incident_root_cause_refresh(*, incident: NetworkIncident, now: datetime) -> None:
    """Rank the incident's alarms and store the likeliest root alarm with its
    evidence in words (`probable_root_alarm`, `root_cause_evidence`)."""
    del incident, now
