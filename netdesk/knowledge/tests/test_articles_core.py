"""Article services: versions, states, validation, and the search index row."""

import pytest

from netdesk.accounts.models import Role
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.knowledge.models import ArticleState, DocumentKind, SearchDocument
from netdesk.knowledge.services.articles import article_create, article_state_set, article_update
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_create_update_publish_keeps_versions_and_index():
    editor = f.user(Role.HOTLINE_OPERATOR)
    lead = f.user(Role.TEAM_LEAD)
    article = article_create(
        actor=editor, title="Router LED red", body="**Restart** the router.", tags=["Router", "led"]
    )
    assert sorted(t.name for t in article.tags.all()) == ["led", "router"]
    document = SearchDocument.objects.get(kind=DocumentKind.ARTICLE, object_id=article.pk)
    assert document.body == "Restart the router."
    assert document.live is False
    article = article_update(actor=editor, article_id=article.pk, body="Unplug it.", note="simpler")
    assert article.version == 2
    with pytest.raises(PermissionDenied):
        article_state_set(actor=editor, article_id=article.pk, state=ArticleState.PUBLISHED)
    article = article_state_set(actor=lead, article_id=article.pk, state=ArticleState.PUBLISHED)
    assert [v.number for v in article.versions.all()] == [3, 2, 1]
    assert SearchDocument.objects.get(object_id=article.pk).live is True


def test_unchanged_update_writes_no_version():
    editor = f.user(Role.HOTLINE_OPERATOR)
    article = article_create(actor=editor, title="T", body="B")
    article = article_update(actor=editor, article_id=article.pk, title="T")
    assert article.version == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("technologies", ["carrier-pigeon"]), ("language", "english"), ("audience", "everyone")],
)
def test_bad_field_names_field_and_value(field, value):
    editor = f.user(Role.HOTLINE_OPERATOR)
    with pytest.raises(ValidationFailed) as refused:
        article_create(actor=editor, title="T", body="B", **{field: value})
    assert refused.value.field == field
