"""The ticket-to-article loop under /kb/: the ticket page's knowledge panel
and its actions, drafting from an incident, and the recurring-topics report."""

from django.urls import URLPattern, URLResolver, path

from netdesk.knowledge import views_kcs

urlpatterns: list[URLPattern | URLResolver] = [
    path("tickets/<str:ref>/panel/", views_kcs.ticket_panel, name="kb_ticket_panel"),
    path(
        "tickets/<str:ref>/articles/",
        views_kcs.ticket_article_search,
        name="kb_ticket_article_search",
    ),
    path("tickets/<str:ref>/link/", views_kcs.ticket_link, name="kb_ticket_link"),
    path("tickets/<str:ref>/unlink/", views_kcs.ticket_unlink, name="kb_ticket_unlink"),
    path("tickets/<str:ref>/draft/", views_kcs.ticket_draft, name="kb_ticket_draft"),
    path("incidents/<str:ref>/draft/", views_kcs.incident_draft, name="kb_incident_draft"),
    path("topics/", views_kcs.topics_report, name="kb_topics"),
]
