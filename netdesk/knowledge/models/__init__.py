from netdesk.knowledge.models.articles import (
    Article,
    ArticleAttachment,
    ArticleState,
    ArticleVersion,
    Audience,
    Tag,
)
from netdesk.knowledge.models.macros import Macro
from netdesk.knowledge.models.search import DocumentKind, SearchDocument
from netdesk.knowledge.models.use import ArticleFeedback, ArticleLink, LinkKind

__all__ = [
    "Article",
    "ArticleAttachment",
    "ArticleFeedback",
    "ArticleLink",
    "ArticleState",
    "ArticleVersion",
    "Audience",
    "DocumentKind",
    "LinkKind",
    "Macro",
    "SearchDocument",
    "Tag",
]
