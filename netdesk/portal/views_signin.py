"""The portal's sign-in pages: ask for a link by e-mail, open it (a button
that signs in, so a mail scanner fetching the link does not use it up), or
sign in with account number and PIN; sign out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from netdesk.accounts.throttling import client_address
from netdesk.portal.access import (
    portal_language,
    portal_sign_in,
    portal_sign_out,
    signed_in_contact,
)
from netdesk.portal.forms_signin import LinkRequestForm, PinSignInForm
from netdesk.portal.services.signin import (
    LinkRefused,
    Throttled,
    portal_link_check,
    portal_link_request,
    portal_link_use,
    portal_pin_sign_in,
    sign_in_link_throttled,
)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A sign-in page in the visitor's language (the browser's: nobody is
    signed in yet)."""
    with translation.override(portal_language(None, request)):
        return render(request, f"portal/{template}", context, status=status)


def _throttled(request: HttpRequest, throttled: Throttled) -> HttpResponse:
    minutes = max(1, -(-throttled.retry_after // 60))
    response = _page(request, "throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(throttled.retry_after)
    return response


def _home_after(raw: str) -> str:
    """Where to go once signed in: a portal page asked for, else home."""
    if raw.startswith("/portal/") and url_has_allowed_host_and_scheme(
        raw, allowed_hosts=None, require_https=False
    ):
        return raw
    return reverse("portal_home")


def _link_for(request: HttpRequest) -> Callable[[str], str]:
    """A link's absolute address: under NETDESK_PORTAL_URL when set, else
    under the address the request came to (a host the desk allows)."""

    def link(secret: str) -> str:
        path = reverse("portal_link", args=[secret])
        base = settings.NETDESK_PORTAL_URL
        return f"{base}{path}" if base else request.build_absolute_uri(path)

    return link


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link. The answer is the same whether the address
    is known or not."""
    next_path = request.GET.get("next", "")
    if signed_in_contact(request) is not None:
        return HttpResponseRedirect(_home_after(next_path))
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        client = client_address(request)
        throttled = sign_in_link_throttled(email=email, client=client)
        if throttled is not None:
            return _throttled(request, throttled)
        portal_link_request(email=email, requested_from=client, link_for=_link_for(request))
        return HttpResponseRedirect(reverse("portal_sign_in_sent"))
    status = 400 if request.method == "POST" else 200
    return _page(request, "sign_in.html", {"form": form, "next": next_path}, status=status)


@never_cache
def sign_in_sent(request: HttpRequest) -> HttpResponse:
    return _page(request, "sign_in_sent.html", {"minutes": settings.NETDESK_PORTAL_LINK_MINUTES})


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, secret: str) -> HttpResponse:
    """GET shows a "Sign in" button (and reads nothing but whether the link
    still works); POST uses the link up and signs in."""
    if request.method == "POST":
        try:
            contact = portal_link_use(secret=secret)
        except LinkRefused as refused:
            response = _link_refused(request, refused.reason)
        else:
            portal_sign_in(request, contact)
            response = HttpResponseRedirect(reverse("portal_home"))
    else:
        reason = portal_link_check(secret=secret)
        if reason:
            response = _link_refused(request, reason)
        else:
            response = _page(request, "sign_in_link.html", {})
    # The secret is in this page's address: no other site is told it.
    # Not "no-referrer": Chromium then sends "Origin: null" with the
    # button's POST, which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


def _link_refused(request: HttpRequest, reason: str) -> HttpResponse:
    context = {"reason": reason, "minutes": settings.NETDESK_PORTAL_LINK_MINUTES}
    status = 404 if reason == "unknown" else 410
    return _page(request, "sign_in_link_refused.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def pin_sign_in(request: HttpRequest) -> HttpResponse:
    """Sign in with the account number and the account's PIN."""
    if request.method == "GET" and signed_in_contact(request) is not None:
        return HttpResponseRedirect(_home_after(request.GET.get("next", "")))
    form = PinSignInForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    error = ""
    if request.method == "POST" and form.is_valid():
        result = portal_pin_sign_in(
            account=form.cleaned_data["account"],
            pin=form.cleaned_data["pin"],
            client=client_address(request),
        )
        if result.throttled is not None:
            return _throttled(request, result.throttled)
        if result.contact is not None:
            portal_sign_in(request, result.contact)
            return HttpResponseRedirect(_home_after(form.cleaned_data["next"]))
        with translation.override(portal_language(None, request)):
            error = (
                _("No contact of this account may use the portal. Please call us.")
                if result.nobody
                else _("The account number or the PIN is not right.")
            )
    status = 400 if request.method == "POST" else 200
    return _page(request, "sign_in_pin.html", {"form": form, "error": error}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    with translation.override(portal_language(signed_in_contact(request), request)):
        portal_sign_out(request)
        messages.info(request, _("You are signed out."))
    return HttpResponseRedirect(reverse("portal_sign_in"))
