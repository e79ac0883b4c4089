"""Message template screens: every event's wording per language, editing
one with a live preview against a real ticket or a sample, and putting the
built-in wording back."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.channels.forms_admin import PreviewForm, TemplateForm
from netdesk.channels.models import MessageTemplate, TemplateEvent
from netdesk.channels.selectors_admin import templates_by_event
from netdesk.channels.services.templates import (
    LANGUAGE_PATTERN,
    template_preview,
    template_save,
    templates_restore,
)
from netdesk.core.errors import NotFound, PermissionDenied, ServiceError
from netdesk.customers.views import desk_view, is_htmx
from netdesk.tickets.forms import attach_service_error, error_text
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import ticket_get


def _event_and_language(event: str, language: str) -> tuple[TemplateEvent, str]:
    if event not in TemplateEvent.values:
        raise Http404(f"No message event {event!r}; known: {', '.join(TemplateEvent.values)}.")
    language = language.lower()
    if not LANGUAGE_PATTERN.match(language):
        raise Http404(f"{language[:30]!r} is not a language code such as en, de or pt-br.")
    return TemplateEvent(event), language


@desk_view
def template_list(request: HttpRequest) -> HttpResponse:
    require(user_of(request), Action.CONFIGURE)
    if "event" in request.GET:
        # "Add a language": the chosen event's page in that language.
        known, language = _event_and_language(
            request.GET["event"], request.GET.get("language", "").strip()
        )
        return redirect("channels_template", event=known.value, language=language)
    grouped = templates_by_event()
    events = [(event, label, grouped.get(event, [])) for event, label in TemplateEvent.choices]
    languages = sorted({t.language for templates in grouped.values() for t in templates})
    return render(request, "channels/templates.html", {"events": events, "languages": languages})


def _template_page(
    request: HttpRequest,
    *,
    event: TemplateEvent,
    language: str,
    stored: MessageTemplate | None,
    form: TemplateForm,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "channels/template_form.html",
        {
            "event": event,
            "language": language,
            "stored": stored,
            "form": form,
            "preview_form": PreviewForm(initial={"ticket": request.GET.get("ticket", "")}),
        },
        status=status,
    )


@desk_view
def template_edit(request: HttpRequest, event: str, language: str) -> HttpResponse:
    """A template's wording; a language without one starts from English's."""
    user = user_of(request)
    require(user, Action.CONFIGURE)
    known, language = _event_and_language(event, language)
    stored = MessageTemplate.objects.filter(event=known, language=language).first()
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                template_save(
                    actor=user,
                    event=known,
                    language=language,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
            except PermissionDenied:
                raise
            except ServiceError as error:
                attach_service_error(form, error)
            else:
                messages.success(request, f"Template {known.label} ({language}) saved.")
                return redirect("channels_templates")
        return _template_page(
            request, event=known, language=language, stored=stored, form=form, status=422
        )
    start = stored or MessageTemplate.objects.filter(event=known, language="en").first()
    initial = {"subject": start.subject, "body": start.body} if start else {}
    return _template_page(
        request, event=known, language=language, stored=stored, form=TemplateForm(initial=initial)
    )


def _preview_ticket(request: HttpRequest, reference: str) -> Ticket | None:
    if not reference:
        return None
    return ticket_get(user=user_of(request), ref=reference.strip().upper())


@desk_view
@require_POST
def template_preview_view(request: HttpRequest, event: str, language: str) -> HttpResponse:
    """The typed wording rendered (htmx, as the administrator types): the
    message as the chosen ticket's customer would get it, or the error."""
    require(user_of(request), Action.CONFIGURE)
    known, language = _event_and_language(event, language)
    form = PreviewForm(request.POST)
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        try:
            draft = MessageTemplate(
                event=known,
                language=language,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
            ticket = _preview_ticket(request, form.cleaned_data["ticket"])
            context["preview"] = template_preview(template=draft, ticket=ticket)
        except PermissionDenied:
            raise
        except (NotFound, ServiceError) as error:
            context["problem"] = error_text(error)
    # htmx swaps only 2xx answers in; a page posted without it gets the 422.
    status = 200 if "preview" in context or is_htmx(request) else 422
    return render(request, "channels/_template_preview.html", context, status=status)


@desk_view
@require_POST
def templates_restore_view(request: HttpRequest) -> HttpResponse:
    """Put the built-in wording back for every event (en and de)."""
    require(user_of(request), Action.CONFIGURE)
    templates_restore(actor=user_of(request))
    messages.success(request, "The built-in templates are back.")
    return redirect("channels_templates")
