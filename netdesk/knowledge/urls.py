"""The knowledge base's pages under /kb/: articles, the ticket-to-article
loop and its reports, and macros."""

from django.urls import include, path

urlpatterns = [
    path("", include("netdesk.knowledge.urls_articles")),
    path("", include("netdesk.knowledge.urls_kcs")),
    path("macros/", include("netdesk.knowledge.urls_macros")),
]
