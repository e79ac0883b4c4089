from django.urls import URLPattern, path

from netdesk.portal import views_home, views_kb, views_signin, views_tickets

# Names are prefixed with the app ("portal_..."), like every app's.
urlpatterns: list[URLPattern] = [
    path("", views_home.home, name="portal_home"),
    path("preferences/", views_home.preferences, name="portal_preferences"),
    path("sign-in/", views_signin.sign_in, name="portal_sign_in"),
    path("sign-in/sent/", views_signin.sign_in_sent, name="portal_sign_in_sent"),
    path("sign-in/pin/", views_signin.pin_sign_in, name="portal_pin_sign_in"),
    # The secret of a mailed link; GET shows a button, POST signs in.
    path("sign-in/link/<str:secret>/", views_signin.link, name="portal_link"),
    path("sign-out/", views_signin.sign_out, name="portal_sign_out"),
]

# A subscriber's tickets: list, one ticket (by its public reference), an
# answer, "This is solved", a file, and a new ticket with the outage first.
urlpatterns += [
    path("tickets/", views_tickets.ticket_list_view, name="portal_tickets"),
    path("tickets/new/", views_tickets.ticket_new_view, name="portal_ticket_new"),
    path(
        "tickets/new/notify", views_tickets.ticket_new_notify_view, name="portal_ticket_new_notify"
    ),
    path("tickets/<str:public_id>/", views_tickets.ticket_view, name="portal_ticket"),
    path(
        "tickets/<str:public_id>/reply", views_tickets.ticket_reply_view, name="portal_ticket_reply"
    ),
    path(
        "tickets/<str:public_id>/solved",
        views_tickets.ticket_solved_view,
        name="portal_ticket_solved",
    ),
    path(
        "tickets/<str:public_id>/files/<int:attachment_id>",
        views_tickets.ticket_file_view,
        name="portal_ticket_file",
    ),
]

# Help articles (published public articles of the knowledge base), readable
# without signing in; "Was this helpful?" once signed in; the suggestions
# the new-ticket form shows while the customer writes.
urlpatterns += [
    path("kb/", views_kb.kb_list_view, name="portal_kb"),
    path("kb/suggest", views_kb.kb_suggest_view, name="portal_kb_suggest"),
    path("kb/<int:pk>/", views_kb.kb_article_view, name="portal_kb_article"),
    path("kb/<int:pk>/feedback", views_kb.kb_feedback_view, name="portal_kb_feedback"),
    path("kb/<int:pk>/files/<int:attachment_id>", views_kb.kb_file_view, name="portal_kb_file"),
]
