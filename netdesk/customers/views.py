"""Agent UI for finding a caller and seeing everything about them (customer 360)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import NotFound, PermissionDenied
from netdesk.customers.selectors import customer_360, customer_search

# What a ticket reference typed into the search box looks like.
TICKET_REFERENCE = re.compile(r"^\s*TT-?\d+\s*$", re.IGNORECASE)

View = Callable[..., HttpResponseBase]


def desk_view(view: View) -> View:
    """A signed-in page where the services' NotFound / PermissionDenied become
    Django's 404 and 403 pages (rendered from 404.html and 403.html)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error
        except PermissionDenied as error:
            raise HttpForbidden(error.message) from error

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@desk_view
def customer_search_view(request: HttpRequest) -> HttpResponse:
    """Search by phone, name, account number or service id; live via htmx."""
    user = user_of(request)
    require(user, Action.CUSTOMER_VIEW)
    query = request.GET.get("q", "").strip()
    if TICKET_REFERENCE.match(query) and not is_htmx(request):
        # Agents paste ticket numbers into the one search box too.
        return redirect("ticket_detail", ref=query.upper())
    found = customer_search(user=user, query=query) if query else []
    context = {"query": query, "customers": found}
    if is_htmx(request):
        return render(request, "customers/_results.html", context)
    return render(request, "customers/search.html", context)


@desk_view
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.CUSTOMER_VIEW)
    view = customer_360(user=user, customer_id=customer_id)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": view.customer,
            "view": view,
            "can_create_ticket": can(user, Action.TICKET_CREATE),
        },
    )
