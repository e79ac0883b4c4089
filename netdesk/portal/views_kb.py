"""The portal's help articles: the published public articles of the
knowledge base, searchable and readable without signing in (a help centre
is public); "Was this helpful?" for signed-in contacts; and the suggestions
shown while a customer writes a new ticket.

Searches and suggestions are counted per contact or client address
(services/help.py). Nothing here ever shows an internal or unpublished
article, a ticket or a macro: every read goes through selectors_kb."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from netdesk.accounts.throttling import client_address
from netdesk.core.errors import ServiceError
from netdesk.core.refusals import PROBLEM, problem_body
from netdesk.customers.models import Contact
from netdesk.knowledge.services.attachments import IMAGE_TYPES, attachment_open
from netdesk.knowledge.services.feedback import feedback_give
from netdesk.portal.access import portal_language, portal_view, sign_in_url, signed_in_contact
from netdesk.portal.selectors_kb import (
    QUESTION_LIMIT,
    contact_verdict,
    help_list,
    help_search,
    public_article_get,
    public_attachment_get,
    public_attachments,
    public_body_html,
)
from netdesk.portal.services.help import (
    help_reader_key,
    help_search_counted,
    help_suggestion_opened,
    help_suggestions_shown,
    writing_checked,
)
from netdesk.portal.services.signin import Throttled
from netdesk.tickets.forms import error_text

P = ParamSpec("P")
PAGE_SIZE = 20
SUGGESTIONS = 5


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, f"portal/{template}", context, status=status)


def in_reader_language(view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """A help page in the reader's language (the customer's once signed
    in, the browser's before), its words and messages included; signed in
    or not."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = args[0]
        assert isinstance(request, HttpRequest)
        with translation.override(_reader_language(request)):
            return view(*args, **kwargs)

    return wrapped


def _reader_language(request: HttpRequest) -> str:
    return portal_language(signed_in_contact(request), request)


def _counted(request: HttpRequest) -> Throttled | None:
    key = help_reader_key(contact=signed_in_contact(request), client=client_address(request))
    return help_search_counted(reader_key=key)


@never_cache
@require_GET
@in_reader_language
def kb_list_view(request: HttpRequest) -> HttpResponse:
    """All public articles (the reader's language first), or those the
    words in `q` find."""
    question = str(request.GET.get("q", "")).strip()
    context: dict[str, Any] = {"q": question}
    if not question:
        pages = Paginator(help_list(_reader_language(request)), PAGE_SIZE)
        context["page"] = pages.get_page(request.GET.get("page"))
        return _page(request, "kb_list.html", context)
    if len(question) > QUESTION_LIMIT:
        context["error"] = _("Please search with at most %(limit)s characters.") % {
            "limit": f"{QUESTION_LIMIT:,}"
        }
        return _page(request, "kb_list.html", context, status=422)
    throttled = _counted(request)
    if throttled is not None:
        context["retry_minutes"] = max(1, -(-throttled.retry_after // 60))
        response = _page(request, "kb_list.html", context, status=429)
        response["Retry-After"] = str(throttled.retry_after)
        return response
    context["hits"] = help_search(text=question, language=_reader_language(request), limit=20)
    return _page(request, "kb_list.html", context)


@never_cache
@require_GET
@in_reader_language
def kb_article_view(request: HttpRequest, pk: int) -> HttpResponse:
    article = public_article_get(pk)
    if article is None:
        raise Http404("No such help article.")
    contact = signed_in_contact(request)
    verdict = None
    if contact is not None:
        verdict = contact_verdict(article, contact)
        # Opened from the suggestions beside a new ticket being written.
        writing = writing_checked(request.GET.get("writing"))
        help_suggestion_opened(contact=contact, writing=writing, article_id=article.pk)
    attachments = public_attachments(article)
    context = {
        "article": article,
        "body": public_body_html(article, attachments),
        # Files to download; images are shown in the text itself.
        "files": [a for a in attachments if a.content_type not in IMAGE_TYPES],
        "contact": contact,
        "verdict": verdict,
        "sign_in": sign_in_url(request.path),
    }
    return _page(request, "kb_article.html", context)


@never_cache
@require_GET
def kb_file_view(
    request: HttpRequest,  # noqa: ARG001  # a view's signature
    pk: int,
    attachment_id: int,
) -> HttpResponse:
    """A file of a published public article; images shown in the page,
    other files downloaded. Any other article's files: not found."""
    attachment = public_attachment_get(pk, attachment_id)
    if attachment is None:
        raise Http404("No such file on a help article.")
    try:
        stored = attachment_open(attachment)
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    with stored:
        response = HttpResponse(stored.read(), content_type=attachment.content_type)
    # Images are shown in the page; any other file is downloaded.
    inline = attachment.content_type in IMAGE_TYPES
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=not inline, filename=attachment.filename) or ""
    )
    return response


@require_POST
@portal_view
def kb_feedback_view(request: HttpRequest, contact: Contact, pk: int) -> HttpResponse:
    """A signed-in contact's "Was this helpful?": yes or no, and what was
    missing; a second answer replaces the first."""
    if public_article_get(pk) is None:
        raise Http404("No such help article.")
    answer = str(request.POST.get("helpful", ""))
    if answer not in ("yes", "no"):
        messages.error(request, _("Please answer yes or no."))
        return redirect("portal_kb_article", pk=pk)
    try:
        feedback_give(
            article_id=pk,
            helpful=answer == "yes",
            comment=str(request.POST.get("comment", "")),
            contact=contact,
        )
    except ServiceError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Thank you for telling us."))
    return redirect("portal_kb_article", pk=pk)


def _problem(request: HttpRequest, status: int, title: str, detail: str, **error: Any) -> Any:
    body = problem_body(
        request,
        status=status,
        title=title,
        detail=detail,
        kind="validation-error" if status == 422 else "too-many-requests",
        errors=[{"message": detail, **error}],
    )
    return JsonResponse(body, status=status, content_type=PROBLEM)


@never_cache
@require_GET
def kb_suggest_view(request: HttpRequest) -> HttpResponse:
    """Public articles for what a customer is writing (JSON, for the
    new-ticket form's script): {"items": [{"id", "title", "snippet",
    "language", "url"}]}. Empty words: no items; too long: 422 naming q.
    With the form's `writing` key, a signed-in contact's suggestions are
    recorded, and the links carry the key so opening one is recorded too."""
    question = str(request.GET.get("q", "")).strip()
    if len(question) > QUESTION_LIMIT:
        return _problem(
            request,
            422,
            "A field has a value that is not accepted",
            f"q is longer than {QUESTION_LIMIT} characters.",
            field="q",
            value=question[:80],
            accepted=f"at most {QUESTION_LIMIT} characters",
        )
    if not question:
        return JsonResponse({"items": []})
    throttled = _counted(request)
    if throttled is not None:
        response = _problem(
            request, 429, "Too many requests", "Too many searches; please wait a moment."
        )
        response["Retry-After"] = str(throttled.retry_after)
        return response
    hits = help_search(text=question, language=_reader_language(request), limit=SUGGESTIONS)
    contact = signed_in_contact(request)
    writing = writing_checked(request.GET.get("writing")) if contact is not None else ""
    if contact is not None:
        ids = [hit.article_id for hit in hits]
        help_suggestions_shown(contact=contact, writing=writing, article_ids=ids)
    after = f"?{urlencode({'writing': writing})}" if writing else ""
    items = [
        {
            "id": hit.article_id,
            "title": hit.title,
            "snippet": hit.snippet,
            "language": hit.language,
            "url": reverse("portal_kb_article", args=[hit.article_id]) + after,
        }
        for hit in hits
    ]
    return JsonResponse({"items": items})
