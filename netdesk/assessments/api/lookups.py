"""The objects an assessments API call names, found within what the
caller may see: a 404 that names the field otherwise."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db.models import QuerySet

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.assessments import selectors as read
from netdesk.assessments.models import (
    Assessment,
    AssessmentCycle,
    ExamAttempt,
)
from netdesk.core.errors import NotFound
from netdesk.core.schemas import MAX_ID


def one_of(queryset: QuerySet[Any], pk: int, what: str, field: str) -> Any:
    found = queryset.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(f"No {what} {pk}.", field=field, value=pk, accepted=f"a {what} id")
    return found


def cycle_for(user: User, cycle_id: int) -> AssessmentCycle:
    require(user, Action.COMPETENCY_VIEW_OWN)
    if not 0 < cycle_id <= MAX_ID:
        not_found("cycle", cycle_id)
    return read.cycle_get(user, cycle_id)


def assessment_for(user: User, assessment_id: int) -> Assessment:
    require(user, Action.COMPETENCY_VIEW_OWN)
    if not 0 < assessment_id <= MAX_ID:
        not_found("assessment", assessment_id)
    return read.assessment_get(user, assessment_id)


def exam_for(user: User, exam_id: int) -> ExamAttempt:
    require(user, Action.COMPETENCY_VIEW_OWN)
    if not 0 < exam_id <= MAX_ID:
        not_found("exam", exam_id)
    return read.exam_get(user, exam_id)


def not_found(what: str, pk: int) -> NoReturn:
    raise NotFound(f"No {what} {pk}.", field=f"{what}_id", value=pk, accepted=f"a {what} id")
