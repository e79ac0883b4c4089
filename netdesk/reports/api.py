"""KPIs in the API: one scope (desk, group or agent) and period per request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from netdesk.accounts.models import User
from netdesk.core.schemas import IsoDateTime, OutputSchema, answers
from netdesk.reports.kpis import kpi_report
from netdesk.reports.selectors import kpi_scope_for

router = Router(tags=["kpis"])


class KpiQuery(Schema):
    start: IsoDateTime | None = Field(None, description="period start (default: 30 days ago)")
    end: IsoDateTime | None = Field(None, description="period end, exclusive (default: now)")
    agent: str | None = Field(None, max_length=150, description="user name")
    group: int | None = Field(None, ge=1, le=2**62)


class KpiOut(OutputSchema):
    start: datetime
    end: datetime
    agent: str | None
    group: str | None
    response: dict[str, Any]
    first_response_time: dict[str, Any]
    tickets_closed: int
    resolution: dict[str, Any]
    backlog_by_age: dict[str, int]


@router.get(
    "", response=answers(KpiOut), summary="KPIs for the desk, a group or an agent over a period"
)
def kpis(request: HttpRequest, query: Query[KpiQuery]) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    scope, agent, group = kpi_scope_for(
        user=user, start=query.start, end=query.end, agent=query.agent, group_id=query.group
    )
    return {
        "start": scope.start,
        "end": scope.end,
        "agent": agent.username if agent else None,
        "group": group.name if group else None,
        **kpi_report(scope),
    }
