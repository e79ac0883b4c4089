from django.urls import URLPattern, path, re_path

from netdesk.chat import views_console, views_visitor, views_widget

CHAT_ID = r"CH-[0-9a-f]{16}"

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
    # The agents' console and their JSON actions on one chat (CH-… ids only,
    # so "v/…" above is never read as a chat's id).
    path("console/", views_console.chat_console, name="chat_console"),
    path("queue.json", views_console.chat_queue_json, name="chat_queue_json"),
    re_path(rf"^(?P<public_id>{CHAT_ID})/take$", views_console.chat_take_view, name="chat_take"),
    re_path(
        rf"^(?P<public_id>{CHAT_ID})/messages$",
        views_console.chat_messages_view,
        name="chat_agent_messages",
    ),
    re_path(
        rf"^(?P<public_id>{CHAT_ID})/typing$",
        views_console.chat_typing_view,
        name="chat_agent_typing",
    ),
    re_path(rf"^(?P<public_id>{CHAT_ID})/end$", views_console.chat_end_view, name="chat_end"),
    re_path(
        rf"^(?P<public_id>{CHAT_ID})/leave$", views_console.chat_leave_view, name="chat_agent_leave"
    ),
]
