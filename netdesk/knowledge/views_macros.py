"""Macro pages: the list (search, per group, uses), creating and changing a
macro, and the picker's two JSON answers: the macros offered on a ticket,
and one macro filled in for it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import PermissionDenied, ServiceError
from netdesk.core.refusals import service_error_response
from netdesk.customers.views import desk_view
from netdesk.knowledge.forms_macros import MacroFilterForm, MacroForm
from netdesk.knowledge.models import Macro
from netdesk.knowledge.selectors.macros import (
    MacroFilter,
    macro_choices,
    macro_for_ticket,
    macro_get,
    macro_list,
)
from netdesk.knowledge.services.macros import (
    PLACEHOLDERS,
    macro_create,
    macro_delete,
    macro_fill,
    macro_update,
    macro_used,
    may_keep,
    own_group_ids,
)
from netdesk.tickets.forms import attach_service_error
from netdesk.tickets.selectors import ticket_get

SNIPPET = 160


@desk_view
@require_GET
def macro_list_view(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.KB_VIEW)
    form = MacroFilterForm(request.GET)
    wanted = MacroFilter()
    if form.is_valid():
        wanted = MacroFilter(text=form.cleaned_data["q"], group_id=form.cleaned_data["group"])
    macros = macro_list(user=user, wanted=wanted)
    manages = can(user, Action.MACRO_MANAGE)
    own = own_group_ids(user) if manages else set()
    rows = [
        {
            "macro": m,
            "editable": manages and may_keep(user, [g.pk for g in m.groups.all()], own=own),
        }
        for m in macros
    ]
    return render(
        request,
        "knowledge/macro_list.html",
        {"form": form, "rows": rows, "manages": manages, "placeholders": PLACEHOLDERS},
    )


def _save(request: HttpRequest, form: MacroForm, macro: Macro | None) -> Macro | None:
    """Hand the form to the service; its refusal lands on the form's fields."""
    data = form.cleaned_data
    fields: dict[str, Any] = {
        "name": data["name"],
        "body": data["body"],
        "language": data["language"],
        "group_ids": [g.pk for g in data["groups"]],
        "is_active": data["is_active"],
    }
    try:
        if macro is None:
            return macro_create(actor=user_of(request), **fields)
        return macro_update(actor=user_of(request), macro_id=macro.pk, **fields)
    except PermissionDenied as error:
        if error.field != "group_ids":
            raise
        form.add_error("groups", error.message)
    except ServiceError as error:
        attach_service_error(form, error, renames={"group_ids": "groups"})
    return None


def _form_page(
    request: HttpRequest, form: MacroForm, macro: Macro | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "knowledge/macro_form.html",
        {"form": form, "macro": macro, "placeholders": PLACEHOLDERS},
        status=status,
    )


@desk_view
@require_http_methods(["GET", "POST"])
def macro_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.MACRO_MANAGE)
    if request.method != "POST":
        return _form_page(request, MacroForm(user=user), None)
    form = MacroForm(request.POST, user=user)
    saved = _save(request, form, None) if form.is_valid() else None
    if saved is None:
        return _form_page(request, form, None, status=422)
    messages.success(request, f"Macro {saved.name!r} saved.")
    return redirect("kb_macro_list")


@desk_view
@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.MACRO_MANAGE)
    macro = macro_get(user=user, macro_id=pk)
    if not may_keep(user, [g.pk for g in macro.groups.all()]):
        raise PermissionDenied(
            "This macro belongs to groups you do not keep.", field="macro_id", value=pk
        )
    if request.method != "POST":
        initial = {
            "name": macro.name,
            "body": macro.body,
            "language": macro.language,
            "groups": list(macro.groups.all()),
            "is_active": macro.is_active,
        }
        return _form_page(request, MacroForm(initial=initial, user=user), macro)
    form = MacroForm(request.POST, user=user)
    saved = _save(request, form, macro) if form.is_valid() else None
    if saved is None:
        return _form_page(request, form, macro, status=422)
    messages.success(request, f"Macro {saved.name!r} saved.")
    return redirect("kb_macro_list")


@desk_view
@require_POST
def macro_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.MACRO_MANAGE)
    macro = macro_get(user=user, macro_id=pk)
    macro_delete(actor=user, macro_id=macro.pk)
    messages.success(request, f"Macro {macro.name!r} deleted.")
    return redirect("kb_macro_list")


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1] + "…"


@desk_view
@require_GET
def macro_offered(request: HttpRequest) -> JsonResponse:
    """The picker's macros for a ticket the user may see: `?ticket=TT-…&q=`."""
    user = user_of(request)
    try:
        require(user, Action.KB_VIEW)
        ticket = ticket_get(user=user, ref=request.GET.get("ticket", ""))
    except ServiceError as error:
        return service_error_response(request, error)
    choices = macro_choices(user=user, text=request.GET.get("q", "")[:200])
    items = [
        {
            "id": m.pk,
            "name": m.name,
            "language": m.language,
            "snippet": _snippet(m.body),
            "render_url": reverse("kb_macro_render", args=[m.pk, ticket.reference]),
        }
        for m in choices
    ]
    return JsonResponse({"ticket": ticket.reference, "items": items})


@desk_view
@require_http_methods(["GET", "POST"])
def macro_render_view(request: HttpRequest, pk: int, ref: str) -> JsonResponse:
    """One macro filled in for a ticket: `{"text", "missing"}`. GET only
    shows it; POST is the agent inserting it into a reply (counted)."""
    user = user_of(request)
    try:
        macro, ticket = macro_for_ticket(user=user, macro_id=pk, ref=ref)
    except ServiceError as error:
        return service_error_response(request, error)
    filled = macro_fill(macro=macro, ticket=ticket, agent=user)
    if request.method == "POST":
        macro_used(macro_id=macro.pk)
    return JsonResponse(
        {
            "id": macro.pk,
            "name": macro.name,
            "ticket": ticket.reference,
            "text": filled.text,
            "missing": filled.missing,
        }
    )
