"""The REST API at /api/v1/: authentication, RFC 9457 errors, and the routers
of each app."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationErrorContext
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from netdesk.accounts.api import router as accounts_router
from netdesk.accounts.selectors import api_token_unrevoked
from netdesk.accounts.services import token_touch
from netdesk.accounts.throttling import UserRateThrottle
from netdesk.assessments.api import router as assessments_router
from netdesk.channels.api import router as conversation_router
from netdesk.channels.api_admin import router as mail_router
from netdesk.channels.api_notices import router as notices_router
from netdesk.chat.api import router as chat_router
from netdesk.competency.api import router as competency_router
from netdesk.core.apipaths import integer_path_params
from netdesk.core.connections import busy_response, database_busy
from netdesk.core.errors import ServiceError
from netdesk.core.refusals import PROBLEM, UNREADABLE, problem_body, refusal_for
from netdesk.customers.api import router as customers_router
from netdesk.knowledge.api import router as knowledge_router
from netdesk.noc.api import router as noc_router
from netdesk.notifications.api import router as notifications_router
from netdesk.phone.api import router as phone_router
from netdesk.reports.api import report_router
from netdesk.reports.api import router as reports_router
from netdesk.reports.api_plans import router as report_plans_router
from netdesk.reports.api_subscriptions import router as report_subscriptions_router
from netdesk.routing.api import router as routing_router
from netdesk.sla.api import router as sla_router
from netdesk.surveys.api import router as surveys_router
from netdesk.tickets.api import router as tickets_router
from netdesk.tickets.api.lists import router as ticket_lists_router
from netdesk.tickets.api.saved_views import router as ticket_views_router
from netdesk.triage.api import router as triage_router

logger = logging.getLogger("netdesk.api")
# How stale a token's "last used" may grow before a call writes it again.
TOKEN_TOUCH_SECONDS = 60


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token is looked up by its hash."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = api_token_unrevoked(secret=token)
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.expires_at is not None and found.expires_at <= now:
            return None
        # Touch at most once a minute: a write per request would serialise SQLite.
        if (
            found.last_used_at is None
            or (now - found.last_used_at).total_seconds() > TOKEN_TOUCH_SECONDS
        ):
            token_touch(token=found, at=now)
        request.user = found.user
        return found.user


class DeskAPI(NinjaAPI):
    """NinjaAPI that keeps the rejected value in validation errors: the
    caller is told which value was wrong, not only which field."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> NinjaValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            for error in context.pydantic_validation_error.errors(include_url=False):
                flat = model.__ninja_flatten_map_reverse__.get(error["loc"], error["loc"])
                error["loc"] = (model.__ninja_param_source__, *flat)
                value = error.get("input")
                if not isinstance(value, str | int | float | bool | None):
                    value = str(value)[:200]
                elif isinstance(value, str):
                    value = value[:200]
                error["input"] = value
                if "ctx" in error:
                    error["ctx"] = {k: str(v) for k, v in error["ctx"].items()}
                errors.append(dict(error))
        return NinjaValidationError(errors)

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Error answers are documented as application/problem+json (RFC 9457),
        with the two every operation may give: 429 past the rate, and 413
        for a body larger than the desk reads."""
        schema = super().get_openapi_schema(**kwargs)
        problem_content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                for code, response in responses.items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        response["content"] = {PROBLEM: content["application/json"]}
                responses.setdefault(
                    429,
                    {
                        "description": "Too many requests; wait as Retry-After says",
                        "content": problem_content,
                    },
                )
                if "requestBody" in operation:
                    responses.setdefault(
                        413, {"description": "Request body too large", "content": problem_content}
                    )
        return schema


api = DeskAPI(
    title="NetDesk API",
    version="1",
    description=(
        "The NetDesk service desk API. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `netdesk token create --user NAME`). Errors are RFC 9457 "
        "problem documents naming the field, the value and what is accepted."
    ),
    auth=[BearerToken(), SessionAuth()],
    throttle=[UserRateThrottle()],
    urls_namespace="api",
)


def problem(
    request: HttpRequest,
    *,
    status: int,
    title: str,
    detail: str,
    kind: str,
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    body = problem_body(
        request, status=status, title=title, detail=detail, kind=kind, errors=errors
    )
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM
    return response


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return problem(
        request,
        status=exc.status,
        title=exc.title,
        detail=exc.message,
        kind=exc.kind,
        errors=[exc.as_error()],
    )


def _field_path(loc: list[Any]) -> str:
    # ninja prefixes the location with where it came from ("body", "query", ...).
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        entry: dict[str, Any] = {
            "field": _field_path(list(error.get("loc", []))),
            "message": error.get("msg", "invalid value"),
        }
        if "input" in error:
            entry["value"] = error["input"]
        if error.get("ctx"):
            # pydantic names what it expected in ctx (e.g. expected literals, limits).
            ctx = error["ctx"]
            entry["accepted"] = ctx.get("expected") or ctx
        errors.append(entry)
    fields = ", ".join(e["field"] for e in errors)
    return problem(
        request,
        status=422,
        title="A field has a value that is not accepted",
        detail=f"Check these fields: {fields}.",
        kind="validation-error",
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:  # noqa: ARG001  # ninja's handler signature
    response = problem(
        request,
        status=401,
        title="Not authenticated",
        detail="Send 'Authorization: Bearer <token>' with a valid, unrevoked token.",
        kind="not-authenticated",
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(
        request,
        status=404,
        title="No such record",
        detail=str(exc) or "Not found.",
        kind="not-found",
    )


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:  # noqa: ARG001  # ninja's handler signature
    # ninja adds Retry-After from the throttle's wait().
    return problem(
        request,
        status=429,
        title="Too many requests",
        detail=(
            f"More than {settings.NETDESK_API_RATE.replace('/', ' requests per ')} from this "
            "user (all their tokens together); wait as Retry-After says, then go on."
        ),
        kind="too-many-requests",
    )


def on_unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body the desk could not read (too large, broken multipart): 4xx, not 500."""
    refusal = refusal_for(exc)
    assert refusal is not None
    return problem(
        request,
        status=refusal.status,
        title=refusal.title,
        detail=refusal.detail,
        kind=refusal.kind,
    )


for unreadable in UNREADABLE:
    api.exception_handler(unreadable)(on_unreadable)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(
        request, status=exc.status_code, title="Request refused", detail=str(exc), kind="http-error"
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    if database_busy(exc):
        # No room at the database (out of connections): retry, not a fault.
        logger.warning("Database busy on %s %s: %s", request.method, request.path, exc)
        return busy_response(request)
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return problem(
        request,
        status=500,
        title="Internal error",
        detail="The server failed to handle this request; it has been logged.",
        kind="internal-error",
    )


for prefix, app_router in (
    ("/tickets", ticket_lists_router),
    ("/tickets", tickets_router),
    ("/ticket-views", ticket_views_router),
    ("/customers", customers_router),
    ("/kpis", reports_router),
    ("/me", accounts_router),
    ("", sla_router),
    ("/reports", report_router),
    ("/reports", report_plans_router),
    ("/reports", report_subscriptions_router),
    ("/noc", noc_router),
    ("/mail", mail_router),
    ("", conversation_router),
    ("/noc", notices_router),
    ("/competency", competency_router),
    ("/competency", assessments_router),
    ("/competency", routing_router),
    ("", phone_router),
    ("/chat", chat_router),
    ("/kb", knowledge_router),
    ("", triage_router),
    ("", surveys_router),
    ("/notifications", notifications_router),
):
    integer_path_params(app_router)
    api.add_router(prefix, app_router)
