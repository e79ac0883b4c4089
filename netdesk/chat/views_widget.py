"""What an operator's site loads to offer the chat: the loader script
(/chat/widget.js), the chat page it shows in an iframe (/chat/frame/, the
one page of the desk that other sites may frame: NETDESK_CHAT_SITES), and a
test page that embeds the widget as a site would (/chat/demo/)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

WIDGET_SCRIPT = Path(__file__).resolve().parent.parent / "static" / "netdesk" / "chat-widget.js"
# Sites fetch the loader on every page view: browsers keep it a few minutes
# and then ask again cheaply (ETag), so a new desk version reaches them soon.
WIDGET_MAX_AGE_SECONDS = 300


def frame_ancestors() -> str:
    """The CSP frame-ancestors source list of the chat page: the desk itself
    and the sites of NETDESK_CHAT_SITES ("*": any site)."""
    sites = settings.NETDESK_CHAT_SITES
    if sites == ["*"]:
        return "*"
    return " ".join(["'self'", *sites])


def frame_policy() -> str:
    """The desk's content security policy with the chat page's framing rule."""
    kept = [
        part
        for part in settings.NETDESK_CONTENT_SECURITY_POLICY.split(";")
        if part.strip() and not part.strip().startswith("frame-ancestors")
    ]
    return "; ".join([*(part.strip() for part in kept), f"frame-ancestors {frame_ancestors()}"])


@require_safe
@cache_control(public=True, max_age=WIDGET_MAX_AGE_SECONDS)
def chat_widget_script(request: HttpRequest) -> HttpResponse:
    """The loader a site puts on its pages with a plain <script src>."""
    script = WIDGET_SCRIPT.read_bytes()
    etag = '"' + hashlib.sha256(script).hexdigest()[:32] + '"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    # Any site may load the script; it reads nothing of the desk's by itself.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
@xframe_options_exempt
def chat_frame(request: HttpRequest) -> HttpResponse:
    """The chat itself, shown in the widget's iframe on a site of
    NETDESK_CHAT_SITES. X-Frame-Options cannot name several sites, so the
    page leaves it out and says who may frame it by CSP frame-ancestors."""
    response = render(
        request, "chat/frame.html", {"message_max": settings.NETDESK_CHAT_MESSAGE_MAX_CHARS}
    )
    response["Content-Security-Policy"] = frame_policy()
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def chat_demo(request: HttpRequest) -> HttpResponse:
    """A page that embeds the chat exactly as an operator's site does."""
    widget_url = request.build_absolute_uri(reverse("chat_widget_script"))
    return render(request, "chat/demo.html", {"widget_url": widget_url})
