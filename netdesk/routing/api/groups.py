"""Who is routed to: each group's policy (managers) and an agent's own
availability (away or available)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.schemas import MAX_ID, InputSchema, OutputSchema, answers
from netdesk.routing import selectors as read
from netdesk.routing.models import GroupRouting
from netdesk.routing.services import config
from netdesk.routing.services import tickets as services

router = Router(tags=["competency"])


# ---- group policies --------------------------------------------------------------


class GroupRoutingOut(OutputSchema):
    group_id: int
    group: str
    routed: bool
    enabled: bool
    policy: str
    workload_cap: int
    relax_thresholds: list[int]


class GroupRoutingIn(InputSchema):
    """enabled: route this group's new tickets by skill. relax_thresholds:
    percent of the SLA target used at which soft requirements drop a level."""

    policy: str = Field(max_length=30)
    workload_cap: int = Field(8, ge=0, le=10_000)
    enabled: bool = True
    relax_thresholds: list[int] | None = Field(None, max_length=20)


def group_routing_out(group: SupportGroup, row: GroupRouting | None) -> dict[str, Any]:
    defaults = services.Settings()
    return {
        "group_id": group.pk,
        "group": group.name,
        "routed": row is not None,
        "enabled": row.enabled if row else False,
        "policy": row.policy if row else defaults.policy,
        "workload_cap": row.workload_cap if row else defaults.workload_cap,
        "relax_thresholds": list(row.relax_thresholds if row else defaults.thresholds),
    }


@router.get(
    "/routing/groups", response=answers(list[GroupRoutingOut]), summary="Each group's routing"
)
def list_group_routing(request: HttpRequest) -> list[dict[str, Any]]:
    require(user_of(request), Action.COMPETENCY_VIEW_OWN)
    return [group_routing_out(group, row) for group, row in read.group_routings()]


@router.put(
    "/routing/groups/{group_id}",
    response=answers(GroupRoutingOut),
    summary="Set a group's routing policy, workload cap and relaxation",
)
def set_group_routing(
    request: HttpRequest, payload: GroupRoutingIn, group_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    group = SupportGroup.objects.filter(pk=group_id, is_active=True).first()
    if group is None:
        raise NotFound(
            f"No active support group has id {group_id}.",
            field="group_id",
            value=group_id,
            accepted="the id of an active support group",
        )
    row = config.group_routing_set(
        actor=user,
        group=group,
        policy=payload.policy,
        workload_cap=payload.workload_cap,
        enabled=payload.enabled,
        relax_thresholds=payload.relax_thresholds,
    )
    return group_routing_out(group, row)


# ---- availability ----------------------------------------------------------------


class AvailabilityOut(OutputSchema):
    agent: str
    available: bool


class AvailabilityIn(InputSchema):
    """Mark yourself (or, for team leads and managers, `agent`) available or away."""

    available: bool
    agent: str | None = Field(None, max_length=150)


@router.get("/routing/availability", response=answers(AvailabilityOut), summary="Am I routed to?")
def get_availability(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return {"agent": user.username, "available": read.is_available(user.pk)}


@router.put(
    "/routing/availability", response=answers(AvailabilityOut), summary="Mark available or away"
)
def set_availability(request: HttpRequest, payload: AvailabilityIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    agent = user
    if payload.agent is not None and payload.agent != user.username:
        found = User.objects.filter(username=payload.agent, is_active=True).first()
        if found is None:
            raise ValidationFailed(
                f"No active agent is called {payload.agent!r}.",
                field="agent",
                value=payload.agent,
                accepted="the username of an active agent, or leave it out for yourself",
            )
        agent = found
    row = config.availability_set(actor=user, agent=agent, available=payload.available)
    return {"agent": agent.username, "available": row.available}
