"""The article pages of the agent UI: the list with its filters and search,
an article's page with its state actions and "not helpful", the new and
edit forms with their live preview. Thin: parse a form, call one service
or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import NotFound, PermissionDenied, ServiceError
from netdesk.customers.views import desk_view
from netdesk.knowledge.forms_articles import (
    ARTICLE_FIELDS,
    ArticleFilterForm,
    ArticleForm,
    AttachmentForm,
    FeedbackForm,
    PreviewForm,
    StateForm,
    article_initial,
    attach_error,
    error_text,
    form_problems,
)
from netdesk.knowledge.models import Article, ArticleFeedback, ArticleState
from netdesk.knowledge.search import Reader, keyword_search
from netdesk.knowledge.selectors.articles import (
    article_attachments,
    article_get,
    article_page,
    body_html,
    may_edit,
    state_actions,
    technology_labels,
)
from netdesk.knowledge.selectors.use import article_stats
from netdesk.knowledge.services.articles import (
    article_create,
    article_locked,
    article_state_set,
    article_update,
)
from netdesk.knowledge.services.feedback import feedback_give

# How many ranked hits a text search in the list pages through (what search
# answers at most).
SEARCH_HITS = 50


def _ranked_ids(user: User, text: str) -> list[int] | None:
    """The article ids a text search ranks, drafts and retired ones included
    (editors look for those too); None when no text was given."""
    if not text:
        return None
    hits = keyword_search(
        text=text,
        reader=Reader(user=user),
        kinds=("article",),
        limit=SEARCH_HITS,
        include_unpublished=True,
    )
    return [hit.object_id for hit in hits]


@require_safe
@desk_view
def article_list(request: HttpRequest) -> HttpResponse:
    """Articles newest change first, or as the text search ranks them,
    narrowed by the filters, a page at a time."""
    user = user_of(request)
    require(user, Action.KB_VIEW)
    filter_form = ArticleFilterForm(request.GET)
    filter_form.is_valid()
    text = (filter_form.cleaned_data.get("q") or "").strip()
    page_error = ""
    try:
        ranked = _ranked_ids(user, text)
    except ServiceError as error:
        page_error, ranked = error_text(error), []
    filters = filter_form.article_filter(today=timezone.localdate(), ranked_ids=ranked)
    page = article_page(filters, page_number=filter_form.cleaned_data.get("page") or 1)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "knowledge/article_list.html",
        {
            "page": page,
            "filter_form": filter_form,
            "page_error": page_error,
            "query_without_page": params.urlencode(),
            "may_write": can(user, Action.KB_EDIT),
            "searched": text,
            "today": timezone.localdate(),
        },
    )


def _detail_context(user: User, pk: int) -> dict[str, Any]:
    article = article_get(pk)
    attachments = article_attachments(article.pk)
    mine = ArticleFeedback.objects.filter(article_id=article.pk, user=user).first()
    return {
        "article": article,
        "body": body_html(article.body, article_id=article.pk, attachments=attachments),
        "attachments": attachments,
        "technologies": technology_labels(article.technologies),
        "stats": article_stats([article.pk]).get(article.pk),
        "my_feedback": mine,
        "feedback_form": FeedbackForm(),
        "state_actions": state_actions(article, user),
        "may_edit": may_edit(article, user),
        "attachment_form": AttachmentForm(),
    }


@require_safe
@desk_view
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An article as agents read it, with its fields, files, reuse and the
    actions the reader may take."""
    user = user_of(request)
    require(user, Action.KB_VIEW)
    return render(request, "knowledge/article_detail.html", _detail_context(user, pk))


def _form_page(
    request: HttpRequest, form: ArticleForm, article: Article | None, *, status: int = 200
) -> HttpResponse:
    attachments = article_attachments(article.pk) if article is not None else []
    body = form["body"].value() or ""
    return render(
        request,
        "knowledge/article_form.html",
        {
            "form": form,
            "article": article,
            "attachments": attachments,
            "preview": body_html(
                str(body), article_id=article.pk if article else None, attachments=attachments
            ),
        },
        status=status,
    )


@desk_view
def article_new(request: HttpRequest) -> HttpResponse:
    """A new article, saved as a draft (version 1)."""
    user = user_of(request)
    require(user, Action.KB_EDIT)
    if request.method != "POST":
        return _form_page(request, ArticleForm(initial={"owner": user.pk, "language": "en"}), None)
    form = ArticleForm(request.POST)
    if form.is_valid():
        try:
            article = article_create(
                actor=user, note=form.cleaned_data["note"] or "created", **form.changes()
            )
        except PermissionDenied:
            raise
        except ServiceError as error:
            attach_error(form, error, ARTICLE_FIELDS)
        else:
            messages.success(request, f"{article.reference} saved as a draft.")
            return redirect("kb_article_detail", pk=article.pk)
    return _form_page(request, form, None, status=422)


def _conflict(article: Article, given: int | None) -> ServiceError:
    changed = article.versions.select_related("changed_by").order_by("-number").first()
    who = changed.changed_by if changed is not None else None
    by = f" by {who.get_full_name() or who.username}" if who is not None else ""
    return ServiceError(
        f"{article.reference} was changed{by} while you edited it: you opened version "
        f"{given or '?'}, it is now at version {article.version}. Nothing was saved. "
        "Your text is kept below: open the article again and make your change there.",
        field="version",
        value=given,
        accepted=article.version,
    )


@desk_view
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an article; each save is a new version. Saving over a version
    newer than the one opened is refused (no silent overwrite)."""
    user = user_of(request)
    article = article_get(pk)
    if not may_edit(article, user):
        require(user, Action.KB_EDIT)
        require(user, Action.KB_PUBLISH)
    if request.method != "POST":
        return _form_page(request, ArticleForm(initial=article_initial(article)), article)
    form = ArticleForm(request.POST)
    if form.is_valid():
        opened = form.cleaned_data["version"]
        try:
            with transaction.atomic():
                current = article_locked(pk)
                if opened != current.version:
                    raise _conflict(current, opened)
                article_update(
                    actor=user, article_id=pk, note=form.cleaned_data["note"], **form.changes()
                )
        except PermissionDenied:
            raise
        except ServiceError as error:
            if error.field == "version":
                form.add_error(None, error.message)
                return _form_page(request, form, article_get(pk), status=409)
            attach_error(form, error, ARTICLE_FIELDS)
        else:
            messages.success(request, f"{article.reference} saved.")
            return redirect("kb_article_detail", pk=pk)
    return _form_page(request, form, article, status=422)


@require_POST
@desk_view
def article_preview(request: HttpRequest) -> HttpResponse:
    """The Markdown being typed, rendered as the article page will show it
    (sanitised; `attachment:` names resolved for an existing article)."""
    user = user_of(request)
    require(user, Action.KB_EDIT)
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return render(
            request, "knowledge/_article_preview.html", {"error": form_problems(form)}, status=422
        )
    article_id = form.cleaned_data["article"]
    attachments = article_attachments(article_id) if article_id else []
    html = body_html(form.cleaned_data["body"], article_id=article_id, attachments=attachments)
    return render(request, "knowledge/_article_preview.html", {"html": html})


@require_POST
@desk_view
def article_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Send to review, publish, retire or take back to draft."""
    user = user_of(request)
    require(user, Action.KB_EDIT)
    form = StateForm(request.POST)
    if not form.is_valid():
        given = request.POST.get("state", "")
        messages.error(
            request, f"Unknown state {given!r}. Accepted: {', '.join(ArticleState.values)}."
        )
        return redirect("kb_article_detail", pk=pk)
    try:
        article = article_state_set(
            actor=user,
            article_id=pk,
            state=form.cleaned_data["state"],
            note=form.cleaned_data["note"],
        )
    except (PermissionDenied, NotFound):
        raise
    except ServiceError as error:
        messages.error(request, error_text(error))
        return redirect("kb_article_detail", pk=pk)
    messages.success(request, f"{article.reference} is now {article.get_state_display().lower()}.")
    return redirect("kb_article_detail", pk=pk)


@require_POST
@desk_view
def article_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent flags the article as not helpful, saying what was missing."""
    user = user_of(request)
    require(user, Action.KB_VIEW)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        context = _detail_context(user, pk)
        context["feedback_form"] = form
        return render(request, "knowledge/article_detail.html", context, status=422)
    try:
        feedback_give(article_id=pk, helpful=False, comment=form.cleaned_data["comment"], user=user)
    except (PermissionDenied, NotFound):
        raise
    except ServiceError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Thank you: the article is flagged as not helpful.")
    return redirect(reverse("kb_article_detail", args=[pk]) + "#feedback")
