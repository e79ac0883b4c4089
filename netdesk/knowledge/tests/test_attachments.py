"""Files and images of an article: checked by their content, stored under
the desk's media folder by a random name, shown in the text through
`attachment:NAME`, downloaded only by agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from netdesk.accounts.models import Role
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.knowledge.models import ArticleAttachment, ArticleState
from netdesk.knowledge.services.articles import article_create, article_state_set
from netdesk.knowledge.services.attachments import (
    article_attachment_add,
    article_attachment_delete,
    attachment_path,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"1 0 obj\n<<>>\nendobj\n" * 4
# A Windows program: "MZ" and the PE header filetype knows.
EXE = b"MZ" + b"\x90" * 58 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00" + b"\x00" * 64


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """Each test's files in a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def draft(actor=None, **fields):
    return article_create(
        actor=actor, title="Router LEDs", body=fields.pop("body", "See the picture."), **fields
    )


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_an_image_is_stored_by_a_random_name_and_shown_in_the_text(client, media):
    editor = f.user()
    client.force_login(editor)
    article = draft(editor, body="Front:\n\n![LEDs of the router](attachment:router%20front.png)")
    response = client.post(
        reverse("kb_article_attachment_add", args=[article.pk]),
        {"file": upload("router front.png", PNG, "text/plain")},
    )
    assert response.status_code == 302
    stored = ArticleAttachment.objects.get(article=article)
    assert stored.content_type == "image/png"
    assert stored.uploaded_by == editor
    assert (media / attachment_path(stored)).read_bytes() == PNG
    assert "router" not in stored.stored_name
    url = reverse("kb_article_attachment", args=[article.pk, stored.pk])
    page = client.get(reverse("kb_article_detail", args=[article.pk])).content.decode()
    assert f'<img src="{url}" alt="LEDs of the router"' in page
    image = client.get(url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert not image.get("Content-Disposition", "").startswith("attachment")
    assert "sandbox" in image["Content-Security-Policy"]
    assert b"".join(image.streaming_content) == PNG
    preview = client.post(
        reverse("kb_article_preview"),
        {
            "body": "![x](attachment:router%20front.png) ![y](attachment:missing.png)",
            "article": article.pk,
        },
    ).content.decode()
    assert f'src="{url}"' in preview
    assert "missing.png" not in preview or 'src="attachment:' not in preview


def test_other_files_are_always_downloaded(client, media):
    editor = f.user()
    client.force_login(editor)
    article = draft(editor)
    stored = article_attachment_add(
        actor=editor, article_id=article.pk, upload=upload("manual.pdf", PDF)
    )
    response = client.get(reverse("kb_article_attachment", args=[article.pk, stored.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("router.png", b"just words, no picture\n", "its content is text"),
        ("invoice.pdf", EXE, "its content is"),
        ("tool.exe", EXE, "its name ends in .exe"),
        ("photo.png", PDF, "application/pdf"),
    ],
)
def test_a_file_whose_content_is_not_an_accepted_type_is_refused(
    client, media, name, content, said
):
    editor = f.user()
    client.force_login(editor)
    article = draft(editor)
    with pytest.raises(ValidationFailed) as refused:
        article_attachment_add(actor=editor, article_id=article.pk, upload=upload(name, content))
    assert refused.value.field == "file"
    assert refused.value.value == name
    assert said in refused.value.message
    response = client.post(
        reverse("kb_article_attachment_add", args=[article.pk]),
        {"file": upload(name, content, "image/png")},
        follow=True,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{name} is refused" in page
    assert "Accepted:" in page
    assert not ArticleAttachment.objects.exists()
    assert not any(media.rglob("*"))


def test_too_large_and_empty_files_are_refused(client, media, settings):
    settings.NETDESK_ATTACHMENT_MAX_BYTES = 50
    editor = f.user()
    article = draft(editor)
    with pytest.raises(ValidationFailed, match="the limit is 50 bytes"):
        article_attachment_add(actor=editor, article_id=article.pk, upload=upload("a.png", PNG))
    with pytest.raises(ValidationFailed, match="is empty"):
        article_attachment_add(actor=editor, article_id=article.pk, upload=upload("a.png", b""))
    client.force_login(editor)
    response = client.post(reverse("kb_article_attachment_add", args=[article.pk]), {}, follow=True)
    assert "The file was not added. file:" in response.content.decode()


def test_the_same_name_replaces_the_old_file(media, django_capture_on_commit_callbacks):
    editor = f.user()
    article = draft(editor)
    first = article_attachment_add(actor=editor, article_id=article.pk, upload=upload("a.png", PNG))
    # The old file goes once the replacement is committed.
    with django_capture_on_commit_callbacks(execute=True):
        second = article_attachment_add(
            actor=editor, article_id=article.pk, upload=upload("a.png", PNG + b"\x01")
        )
    assert list(ArticleAttachment.objects.filter(article=article)) == [second]
    assert not (media / attachment_path(first)).exists()


def test_removing_a_file(client, media, django_capture_on_commit_callbacks):
    editor = f.user()
    client.force_login(editor)
    article = draft(editor)
    stored = article_attachment_add(
        actor=editor, article_id=article.pk, upload=upload("a.png", PNG)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("kb_article_attachment_remove", args=[article.pk, stored.pk]), follow=True
        )
    assert "a.png removed" in response.content.decode()
    assert not ArticleAttachment.objects.exists()
    assert not (media / attachment_path(stored)).exists()
    again = client.post(
        reverse("kb_article_attachment_remove", args=[article.pk, stored.pk]), follow=True
    )
    assert f"{article.reference} has no attachment {stored.pk}" in again.content.decode()


def test_rights_on_files(client, media):
    editor = f.user()
    article = draft(editor)
    stored = article_attachment_add(
        actor=editor, article_id=article.pk, upload=upload("a.png", PNG)
    )
    # An account manager reads the article and its files but adds none.
    manager = f.user(Role.ACCOUNT_MANAGER)
    client.force_login(manager)
    url = reverse("kb_article_attachment", args=[article.pk, stored.pk])
    assert client.get(url).status_code == 200
    add = reverse("kb_article_attachment_add", args=[article.pk])
    assert client.post(add, {"file": upload("b.png", PNG)}).status_code == 403
    remove = reverse("kb_article_attachment_remove", args=[article.pk, stored.pk])
    assert client.post(remove).status_code == 403
    # An operator may not change a published article's files.
    article_state_set(actor=None, article_id=article.pk, state=ArticleState.PUBLISHED)
    with pytest.raises(PermissionDenied):
        article_attachment_add(actor=editor, article_id=article.pk, upload=upload("b.png", PNG))
    with pytest.raises(PermissionDenied):
        article_attachment_delete(actor=editor, article_id=article.pk, attachment_id=stored.pk)
    # Signed out: the sign-in page, never the file.
    anonymous = Client()
    response = anonymous.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    # A file asked through another article is not found.
    other = draft(editor)
    client.force_login(editor)
    assert (
        client.get(reverse("kb_article_attachment", args=[other.pk, stored.pk])).status_code == 404
    )
