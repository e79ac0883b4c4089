"""Role profiles and the levels they require."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from netdesk.accounts.permissions import user_of
from netdesk.competency.api.lookups import framework_get, profile_get, skill_get
from netdesk.competency.api.schemas import (
    ProfileRequirementIn,
    RoleProfileIn,
    RoleProfileOut,
    RoleProfilePatchIn,
    profiles_out,
)
from netdesk.competency.models import (
    FrameworkState,
    RoleProfile,
)
from netdesk.competency.services import profiles as profile_services
from netdesk.core.schemas import (
    MAX_ID,
    InputSchema,
    answers,
)

router = Router(tags=["competency"])


# ---- role profiles ------------------------------------------------------------------


class RoleProfileFilter(InputSchema):
    framework_id: int | None = Field(None, ge=1, le=MAX_ID)


@router.get(
    "/profiles",
    response=answers(list[RoleProfileOut]),
    summary="Role profiles (of the published frameworks, or of one framework)",
)
def profiles_list(request: HttpRequest, filters: Query[RoleProfileFilter]) -> list[dict[str, Any]]:
    user = user_of(request)
    if filters.framework_id is not None:
        profiles = RoleProfile.objects.filter(framework=framework_get(user, filters.framework_id))
    else:
        profiles = RoleProfile.objects.filter(framework__state=FrameworkState.PUBLISHED)
    return profiles_out(list(profiles.order_by("framework__name", "name")))


@router.get("/profiles/{profile_id}", response=answers(RoleProfileOut), summary="A role profile")
def profiles_detail(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    return profiles_out([profile_get(user_of(request), profile_id)])[0]


@router.post(
    "/frameworks/{framework_id}/profiles",
    response=answers(RoleProfileOut, 201),
    summary="Add a role profile to a draft",
)
def profiles_create(
    request: HttpRequest, framework_id: int, payload: RoleProfileIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    profile = profile_services.profile_create(
        actor=user,
        framework=framework_get(user, framework_id),
        name=payload.name,
        description=payload.description,
    )
    return Status(201, profiles_out([profile])[0])


@router.patch(
    "/profiles/{profile_id}",
    response=answers(RoleProfileOut),
    summary="Rename or describe a profile",
)
def profiles_patch(
    request: HttpRequest, profile_id: int, payload: RoleProfilePatchIn
) -> dict[str, Any]:
    user = user_of(request)
    profile = profile_services.profile_update(
        actor=user,
        profile=profile_get(user, profile_id),
        name=payload.name,
        description=payload.description,
    )
    return profiles_out([profile])[0]


@router.delete(
    "/profiles/{profile_id}", response=answers(None, 204), summary="Delete a draft's profile"
)
def profiles_delete(request: HttpRequest, profile_id: int) -> Status[None]:
    user = user_of(request)
    profile_services.profile_delete(actor=user, profile=profile_get(user, profile_id))
    return Status(204, None)


@router.put(
    "/profiles/{profile_id}/requirements/{skill_id}",
    response=answers(RoleProfileOut),
    summary="Require a skill at a minimum level (hard or preferred)",
)
def requirements_put(
    request: HttpRequest, profile_id: int, skill_id: int, payload: ProfileRequirementIn
) -> dict[str, Any]:
    user = user_of(request)
    profile = profile_get(user, profile_id)
    profile_services.requirement_set(
        actor=user,
        profile=profile,
        skill=skill_get(user, skill_id),
        min_level=payload.min_level,
        hard=payload.hard,
    )
    return profiles_out([profile])[0]


@router.delete(
    "/profiles/{profile_id}/requirements/{skill_id}",
    response=answers(None, 204),
    summary="Drop a skill from a draft's profile",
)
def requirements_delete(request: HttpRequest, profile_id: int, skill_id: int) -> Status[None]:
    user = user_of(request)
    profile_services.requirement_delete(
        actor=user, profile=profile_get(user, profile_id), skill=skill_get(user, skill_id)
    )
    return Status(204, None)
