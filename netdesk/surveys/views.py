"""The public survey page, `/survey/<token>/`: no sign-in, the token is the
key. The customer rates 1–5 (NPS 0–10 when the desk asks it), comments,
and may change the answer for 12 hours."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from netdesk.accounts.throttling import client_address
from netdesk.core.errors import NotFound, ServiceError
from netdesk.surveys.models import Survey, SurveyState
from netdesk.surveys.selectors import survey_by_token
from netdesk.surveys.services import COMMENT_LIMIT, survey_answer, survey_answer_counted

RATING_WORDS = {1: "Very poor", 2: "Poor", 3: "Fair", 4: "Good", 5: "Excellent"}


def _whole(raw: str | None) -> int | str | None:
    """A whole number as sent, else the text itself (refused by the
    service, naming it), or None when nothing was sent."""
    text = (raw or "").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() else text


def _page(
    request: HttpRequest, survey: Survey, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    now = timezone.now()
    editable = survey.state == SurveyState.SENT and (
        survey.expires_at is None or survey.expires_at > now
    )
    if survey.state == SurveyState.ANSWERED and survey.editable_until:
        editable = survey.editable_until > now
    expired = survey.state == SurveyState.EXPIRED or (
        survey.state == SurveyState.SENT and not editable
    )
    values = {
        "survey": survey,
        "ticket": survey.ticket,
        "editable": editable,
        "expired": expired,
        "not_open": survey.state in (SurveyState.SCHEDULED, SurveyState.SUPPRESSED),
        "ratings": list(RATING_WORDS.items()),
        "nps_scores": list(range(11)),
        "comment_limit": COMMENT_LIMIT,
        "chosen_rating": str(survey.rating or ""),
        "chosen_nps": "" if survey.nps is None else str(survey.nps),
        "comment": survey.comment,
        **context,
    }
    response = render(request, "surveys/answer.html", values, status=status)
    # The address is the key: never shown to another site. Same-origin, not
    # no-referrer: Django's CSRF check over HTTPS needs the page's own Referer.
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = survey_by_token(token)
    except NotFound:
        return render(request, "surveys/not_found.html", status=404)
    if request.method == "GET":
        return _page(request, survey, {})
    retry_after = survey_answer_counted(client=client_address(request))
    if retry_after is not None:
        response = _page(
            request, survey, {"retry_minutes": max(1, -(-retry_after // 60))}, status=429
        )
        response["Retry-After"] = str(retry_after)
        return response
    sent = {
        "chosen_rating": request.POST.get("rating", ""),
        "chosen_nps": request.POST.get("nps", ""),
        "comment": request.POST.get("comment", ""),
    }
    try:
        survey_answer(
            token=token,
            rating=_whole(request.POST.get("rating")),
            nps=_whole(request.POST.get("nps")) if survey.asks_nps else None,
            comment=sent["comment"],
        )
    except ServiceError as error:
        survey.refresh_from_db()
        return _page(request, survey, {**sent, "error": error.message, "field": error.field}, 422)
    return redirect(request.path)
