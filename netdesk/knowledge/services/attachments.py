"""Files and images of an article: stored under MEDIA_ROOT by a random name
after their size and type (read from their content) are checked, the same
way as a ticket's attachments."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import IO

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import NotFound
from netdesk.knowledge.models import ArticleAttachment, ArticleState
from netdesk.knowledge.services.articles import article_locked
from netdesk.tickets.services.file_types import attachment_type, upload_size

# What an article page shows in place (in <img>); anything else is downloaded.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})
# The longest name kept: what an `attachment:` reference in the text can name.
FILENAME_LIMIT = 200


def attachment_path(attachment: ArticleAttachment) -> str:
    """Where the file lies in the desk's storage (the name is random: the
    upload's own name never reaches the file system)."""
    return f"knowledge/{attachment.article_id}/{attachment.stored_name}"


def attachment_open(attachment: ArticleAttachment) -> IO[bytes]:
    return default_storage.open(attachment_path(attachment), "rb")


def _filename(upload: UploadedFile) -> str:
    name = (upload.name or "file").replace("/", "_").replace("\\", "_").strip()
    return name[-FILENAME_LIMIT:] or "file"


def _require_editor(actor: User | None, state: str) -> None:
    # What customers may read changes only with the publish right.
    require(actor, Action.KB_EDIT)
    if state in (ArticleState.PUBLISHED, ArticleState.RETIRED):
        require(actor, Action.KB_PUBLISH)


@transaction.atomic
def article_attachment_add(
    *, actor: User | None, article_id: int, upload: UploadedFile
) -> ArticleAttachment:
    """Store a file on an article after checking its size, and its type from
    its content and name. A file named like one the article already has
    replaces it, so `attachment:NAME` in the text keeps pointing at the
    file the editor means."""
    article = article_locked(article_id)
    _require_editor(actor, article.state)
    size = upload_size(upload)
    content_type = attachment_type(upload)
    filename = _filename(upload)
    replaced = list(ArticleAttachment.objects.filter(article=article, filename=filename))
    attachment = ArticleAttachment(
        article=article,
        stored_name=secrets.token_hex(16),
        filename=filename,
        content_type=content_type,
        size=size,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    default_storage.save(attachment_path(attachment), upload)
    attachment.save()
    for old in replaced:
        old.delete()
        # The old file goes once the new row is committed; a rollback keeps it.
        transaction.on_commit(_remover(attachment_path(old)))
    return attachment


@transaction.atomic
def article_attachment_delete(*, actor: User | None, article_id: int, attachment_id: int) -> str:
    """Remove a file from an article; returns its name."""
    article = article_locked(article_id)
    _require_editor(actor, article.state)
    attachment = ArticleAttachment.objects.filter(article=article, pk=attachment_id).first()
    if attachment is None:
        raise NotFound(
            f"{article.reference} has no attachment {attachment_id}.",
            field="attachment_id",
            value=attachment_id,
        )
    path = attachment_path(attachment)
    attachment.delete()
    transaction.on_commit(_remover(path))
    return attachment.filename


def _remover(path: str) -> Callable[[], None]:
    def remove() -> None:
        default_storage.delete(path)

    return remove
