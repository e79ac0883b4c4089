"""An article's files and history: upload, download and removal of its
attachments and images, and its versions with what each one changed."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import PermissionDenied, ServiceError
from netdesk.customers.views import desk_view
from netdesk.knowledge.forms_articles import AttachmentForm, error_text, form_problems
from netdesk.knowledge.models import ArticleAttachment
from netdesk.knowledge.selectors.articles import article_get, article_versions, version_diff
from netdesk.knowledge.services.attachments import (
    IMAGE_TYPES,
    article_attachment_add,
    article_attachment_delete,
    attachment_open,
)


@require_safe
@desk_view
def article_attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """A file of an article, for agents (internal articles' files included).
    Images are shown in place, in the article's text; anything else is
    always a download, whatever it declares."""
    require(user_of(request), Action.KB_VIEW)
    attachment = ArticleAttachment.objects.filter(article_id=pk, pk=attachment_id).first()
    if attachment is None:
        raise Http404(f"Article {pk} has no attachment {attachment_id}.")
    inline = attachment.content_type in IMAGE_TYPES and "download" not in request.GET
    response = FileResponse(
        attachment_open(attachment),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    # Whatever a file holds, it runs nothing when opened from the desk.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@desk_view
def article_attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a file or image to the article; a refusal says why (size, or what
    its content is against what is accepted)."""
    user = user_of(request)
    require(user, Action.KB_EDIT)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "The file was not added. " + form_problems(form))
        return redirect(reverse("kb_article_detail", args=[pk]) + "#attachments")
    try:
        attachment = article_attachment_add(
            actor=user, article_id=pk, upload=form.cleaned_data["file"]
        )
    except PermissionDenied:
        raise
    except ServiceError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            f"{attachment.filename} added; show it in the text with "
            f"![description](attachment:{attachment.filename}).",
        )
    return redirect(reverse("kb_article_detail", args=[pk]) + "#attachments")


@require_POST
@desk_view
def article_attachment_remove(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.KB_EDIT)
    try:
        name = article_attachment_delete(actor=user, article_id=pk, attachment_id=attachment_id)
    except PermissionDenied:
        raise
    except ServiceError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{name} removed.")
    return redirect(reverse("kb_article_detail", args=[pk]) + "#attachments")


@require_safe
@desk_view
def article_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every version with who saved it, when and why; `?version=N` shows
    what that version changed against the one before."""
    require(user_of(request), Action.KB_VIEW)
    article = article_get(pk)
    versions = article_versions(pk)
    asked = request.GET.get("version", "")
    number = int(asked) if asked.isdigit() and len(asked) < 10 else article.version
    diff = version_diff(versions, number) if versions else None
    return render(
        request,
        "knowledge/article_history.html",
        {"article": article, "versions": versions, "diff": diff, "asked": asked},
    )
