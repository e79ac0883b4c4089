"""What a site loads: the loader script with its type and caching, the
chat page that only the allowed sites may frame, the test page that embeds
the widget as a site would; the allowed sites' setting checked at start."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from netdesk import config

pytestmark = pytest.mark.django_db


def test_the_loader_is_javascript_cached_briefly_and_revalidated(client: Client) -> None:
    script = client.get("/chat/widget.js")
    assert script.status_code == 200
    assert script["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=300" in script["Cache-Control"]
    assert "public" in script["Cache-Control"]
    assert b"/chat/frame/" in script.content
    again = client.get("/chat/widget.js", headers={"If-None-Match": script["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_the_chat_page_may_be_framed_by_the_desk_only_by_default(client: Client) -> None:
    frame = client.get("/chat/frame/")
    assert frame.status_code == 200
    assert "X-Frame-Options" not in frame
    policy = frame["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert policy.count("frame-ancestors") == 1
    assert "script-src 'self'" in policy
    assert b'id="chat-start"' in frame.content
    assert frame["Cache-Control"] == "no-store"
    # Every other page still refuses to be framed.
    demo = client.get("/chat/demo/")
    assert demo["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in demo["Content-Security-Policy"]


def test_the_allowed_sites_may_frame_the_chat_page(client: Client, settings) -> None:
    settings.NETDESK_CHAT_SITES = ["https://www.example.net", "https://shop.example.net"]
    policy = client.get("/chat/frame/")["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.example.net https://shop.example.net" in policy
    settings.NETDESK_CHAT_SITES = ["*"]
    assert "frame-ancestors *" in client.get("/chat/frame/")["Content-Security-Policy"]


def test_the_demo_page_embeds_the_widget_as_a_site_would(client: Client) -> None:
    page = client.get("/chat/demo/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<script src="http://testserver/chat/widget.js" async></script>' in text
    # The line to paste, shown as text.
    assert '&lt;script src="http://testserver/chat/widget.js" async&gt;' in text
    assert "NETDESK_CHAT_SITES" in text


def test_allowed_sites_are_checked_when_the_desk_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETDESK_CHAT_SITES", raising=False)
    assert config.chat_sites() == []
    monkeypatch.setenv("NETDESK_CHAT_SITES", "https://www.example.net/, http://localhost:8080")
    assert config.chat_sites() == ["https://www.example.net", "http://localhost:8080"]
    monkeypatch.setenv("NETDESK_CHAT_SITES", "*")
    assert config.chat_sites() == ["*"]
    for wrong in ("www.example.net", "https://www.example.net/chat", "*, https://a.example"):
        monkeypatch.setenv("NETDESK_CHAT_SITES", wrong)
        with pytest.raises(ImproperlyConfigured, match="NETDESK_CHAT_SITES"):
            config.chat_sites()
