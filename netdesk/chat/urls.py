from django.urls import URLPattern, path
from django.views.generic import TemplateView

from netdesk.chat import views_visitor, views_widget

# Names are prefixed with the app ("chat_..."), like every app's.
urlpatterns: list[URLPattern] = [
    # The visitor's widget (JSON; the chat's token in the X-Chat-Token header).
    path("v/start", views_visitor.chat_visitor_start, name="chat_visitor_start"),
    path("v/queue", views_visitor.chat_visitor_queue, name="chat_visitor_queue"),
    path("v/messages", views_visitor.chat_visitor_messages, name="chat_visitor_messages"),
    path("v/events", views_visitor.chat_visitor_events, name="chat_visitor_events"),
    path("v/typing", views_visitor.chat_visitor_typing, name="chat_visitor_typing"),
    path("v/leave", views_visitor.chat_visitor_leave, name="chat_visitor_leave"),
    # What a site embeds, and a page that embeds it.
    path("widget.js", views_widget.chat_widget_script, name="chat_widget_script"),
    path("frame/", views_widget.chat_frame, name="chat_frame"),
    path("demo/", views_widget.chat_demo, name="chat_demo"),
    # Replaced by the agents' chat console.
    path("console/", TemplateView.as_view(template_name="base.html"), name="chat_console"),
]
