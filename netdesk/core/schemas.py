"""API shapes shared by every app: the RFC 9457 problem document."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from netdesk.core.dates import out_of_range
from netdesk.core.text import ACCEPTED, find_unstorable


def refuse_unstorable(title: str, body: dict[str, Any]) -> None:
    """Refuse a request body holding text the database cannot store (NUL,
    unpaired surrogates), naming each place, e.g. alarms.3.summary."""
    found = find_unstorable(body)
    if found:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "unstorable_text", unstorable.problem, {"expected": ACCEPTED}
                    ),
                    loc=unstorable.path,
                    input=unstorable.excerpt,
                )
                for unstorable in found
            ],
        )


class InputSchema(Schema):
    """A request body: strict types, so `false` is not read as 0 nor 1 as true."""

    model_config = ConfigDict(strict=True)
    # Fields whose items the endpoint checks one by one, unstorable text
    # included (an alarm batch: one bad alarm must not cost the others).
    checked_per_item: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # ninja's Schema reads attributes off any object, so a body of "AAA"
        # would give title = "AAA".title(); a request body must be an object.
        found = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(found, dict):
            raise ValueError(f"expected a JSON object, got {type(found).__name__}")
        if cls.checked_per_item:
            found = {k: v for k, v in found.items() if k not in cls.checked_per_item}
        refuse_unstorable(cls.__name__, found)
        return data


class OutputSchema(BaseModel):
    """A response shape. Plain pydantic rather than ninja's Schema: answers are
    built as dictionaries, so ninja's ORM-object resolution per nested model
    is pure overhead on large lists."""


class ObjectOutputSchema(Schema):
    """A response shape read off a model object: fields by attribute name,
    renamed or derived ones by a `resolve_<field>` static method. Answers
    assembled from several selectors stay dictionaries on OutputSchema."""


class ProblemError(Schema):
    message: str
    field: str | None = None
    value: Any = None
    accepted: Any = None


class Problem(Schema):
    """RFC 9457 problem details, with `errors` naming each bad field."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemError] | None = None


ERROR_CODES = (400, 401, 403, 404, 409, 422)
# Largest id a path or body may name: beyond it databases overflow (bigint).
MAX_ID = 2**62


def answers(ok: Any, status: int = 200) -> dict[int, Any]:
    """The response map of an endpoint: its success shape plus the problems it may return."""
    return {status: ok, **dict.fromkeys(ERROR_CODES, Problem)}


def _iso_only(value: Any) -> Any:
    # pydantic would read "1700000000" or 0.5 as a Unix time; a script that
    # sends a number almost certainly has a bug, so say so. Strings are parsed
    # here so that strict input schemas still take ISO 8601 text from JSON.
    parsed: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str) and not value.strip().lstrip("-").replace(".", "", 1).isdigit():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValueError("expected an ISO 8601 date-time such as 2026-03-01T09:00:00Z")
    # Stored and compared in UTC: any offset is accepted and converted (a
    # time without one is taken as UTC), so odd offsets never reach the database.
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    problem = out_of_range(parsed)
    if problem is not None:
        raise ValueError(problem)
    return parsed.astimezone(UTC)


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _date_only(value: Any) -> Any:
    parsed: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValueError("expected an ISO 8601 date such as 2026-03-01")
    problem = out_of_range(parsed)
    if problem is not None:
        raise ValueError(problem)
    return parsed


# A day, as text; within the desk's range of dates like every time it takes.
IsoDate = Annotated[date, BeforeValidator(_date_only)]
