"""Framework versions: list, create, read, edit and delete a draft, make a
new version, publish. A published version is frozen: writes to it answer
409 framework-frozen."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from netdesk.accounts.permissions import user_of
from netdesk.competency.api.lookups import framework_get, frameworks_for
from netdesk.competency.api.schemas import (
    FrameworkDetailOut,
    FrameworkFilter,
    FrameworkIn,
    FrameworkOut,
    FrameworkPatchIn,
)
from netdesk.competency.models import Framework
from netdesk.competency.services import framework as fw
from netdesk.core.schemas import (
    answers,
)

router = Router(tags=["competency"])


# ---- frameworks -------------------------------------------------------------------


@router.get("/frameworks", response=answers(list[FrameworkOut]), summary="Framework versions")
def frameworks_list(request: HttpRequest, filters: Query[FrameworkFilter]) -> list[Framework]:
    frameworks = frameworks_for(user_of(request))
    if filters.state:
        frameworks = frameworks.filter(state=filters.state)
    return list(frameworks.order_by("name", "-version"))


@router.post(
    "/frameworks", response=answers(FrameworkDetailOut, 201), summary="Start a draft framework"
)
def frameworks_create(request: HttpRequest, payload: FrameworkIn) -> Status[Framework]:
    created = fw.framework_create(
        actor=user_of(request), name=payload.name, description=payload.description
    )
    return Status(201, created)


@router.get(
    "/frameworks/{framework_id}",
    response=answers(FrameworkDetailOut),
    summary="A framework with its skills, levels, indicators and role profiles",
)
def frameworks_detail(request: HttpRequest, framework_id: int) -> Framework:
    return framework_get(user_of(request), framework_id)


@router.patch(
    "/frameworks/{framework_id}", response=answers(FrameworkOut), summary="Describe a draft"
)
def frameworks_patch(
    request: HttpRequest, framework_id: int, payload: FrameworkPatchIn
) -> Framework:
    user = user_of(request)
    framework = framework_get(user, framework_id)
    return fw.framework_update(actor=user, framework=framework, description=payload.description)


@router.delete("/frameworks/{framework_id}", response=answers(None, 204), summary="Delete a draft")
def frameworks_delete(request: HttpRequest, framework_id: int) -> Status[None]:
    user = user_of(request)
    fw.framework_delete(actor=user, framework=framework_get(user, framework_id))
    return Status(204, None)


@router.post(
    "/frameworks/{framework_id}/versions",
    response=answers(FrameworkDetailOut, 201),
    summary="New draft version copying a published one",
)
def frameworks_new_version(request: HttpRequest, framework_id: int) -> Status[Framework]:
    user = user_of(request)
    draft = fw.framework_new_version(actor=user, framework=framework_get(user, framework_id))
    return Status(201, draft)


@router.post(
    "/frameworks/{framework_id}/publish",
    response=answers(FrameworkOut),
    summary="Publish a draft (it is frozen from then on)",
)
def frameworks_publish(request: HttpRequest, framework_id: int) -> Framework:
    user = user_of(request)
    return fw.framework_publish(actor=user, framework=framework_get(user, framework_id))
