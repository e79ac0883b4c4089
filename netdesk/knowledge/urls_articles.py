"""Article pages under /kb/."""

from django.urls import URLPattern, URLResolver, path

from netdesk.knowledge import views_articles, views_articles_files

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_articles.article_list, name="kb_article_list"),
    path("articles/new/", views_articles.article_new, name="kb_article_new"),
    path("articles/preview/", views_articles.article_preview, name="kb_article_preview"),
    path("articles/<int:pk>/", views_articles.article_detail, name="kb_article_detail"),
    path("articles/<int:pk>/edit/", views_articles.article_edit, name="kb_article_edit"),
    path("articles/<int:pk>/state/", views_articles.article_state, name="kb_article_state"),
    path(
        "articles/<int:pk>/feedback/", views_articles.article_feedback, name="kb_article_feedback"
    ),
    path(
        "articles/<int:pk>/history/",
        views_articles_files.article_history,
        name="kb_article_history",
    ),
    path(
        "articles/<int:pk>/attachments/",
        views_articles_files.article_attachment_upload,
        name="kb_article_attachment_add",
    ),
    path(
        "articles/<int:pk>/attachments/<int:attachment_id>/",
        views_articles_files.article_attachment,
        name="kb_article_attachment",
    ),
    path(
        "articles/<int:pk>/attachments/<int:attachment_id>/remove/",
        views_articles_files.article_attachment_remove,
        name="kb_article_attachment_remove",
    ),
]
