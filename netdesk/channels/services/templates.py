"""Message templates: the wording of each kind of message per language,
checked when saved, rendered as plain text from a fixed context.

Templates see plain values, never model instances: an editable template
must not be able to walk from a ticket to its customer's other records or
call methods on them. Every variable they may use is in SAMPLE_CONTEXT."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.channels.models import MessageTemplate, TemplateEvent
from netdesk.channels.services.template_defaults import DEFAULT_TEMPLATES
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact, Customer
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.sla.models import EscalationNotice
from netdesk.tickets.choices import Visibility
from netdesk.tickets.models import Comment, Ticket

logger = logging.getLogger("netdesk.channels")

FALLBACK_LANGUAGE = "en"
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
SUBJECT_MAX = MessageTemplate._meta.get_field("subject").max_length or 300
# Shown in a rendered text where a template names a variable messages do
# not have; only the check engine uses it, so a saved template never shows it.
_UNKNOWN = "\x00{%s}\x00"
_UNKNOWN_FOUND = re.compile("\x00{([^}\x00]*)}\x00")

# No loaders and no libraries beyond the built-in tags and filters: a
# template cannot include files or load tag libraries.
_ENGINE = Engine(autoescape=False, string_if_invalid="")
_CHECK_ENGINE = Engine(autoescape=False, debug=True, string_if_invalid=_UNKNOWN)

SAMPLE_CONTEXT: dict[str, Any] = {
    "ticket": {
        "reference": "TT-000123",
        "title": "No internet since this morning",
        "status": "In progress",
        "type": "Fault",
        "created_at": "2026-03-02 08:15 UTC",
    },
    "customer": {"name": "Jane Doe", "account_number": "AC0001234"},
    "contact": {"name": "Jane Doe", "email": "jane.doe@example.net"},
    "recipient": {"name": "Jane Doe"},
    "agent": {"name": "Alex Agent"},
    "body": "We have reset your line; please restart your router.",
    "incident": {
        "reference": "NI-42",
        "title": "Fibre cut in Berlin-Mitte",
        "state": "Identified",
        "message": "A fibre cable was damaged by construction work.",
        "started_at": "2026-03-02 07:40 UTC",
        "eta": "2026-03-02 14:00 UTC",
        "resolved_at": "2026-03-02 13:20 UTC",
    },
    "notice": {
        "subject": "[TT-000123] SLA resolution at 80%",
        "body": "Resolution of TT-000123 is due at 2026-03-02 12:00 UTC.",
    },
    "desk": {"reopen_days": 14},
    "survey": {
        "url": "https://desk.example.net/survey/AbCdEf123.sIgNaTuRe/",
        "expires_at": "2026-03-16 09:00 UTC",
    },
}


@dataclass(frozen=True)
class MessageContext:
    """What a message is about; `template_context` turns it into the values
    a template may use (the customer and contact default to the ticket's)."""

    ticket: Ticket | None = None
    customer: Customer | None = None
    contact: Contact | None = None
    agent: User | None = None
    body: str = ""
    incident: NetworkIncident | None = None
    update: IncidentUpdate | None = None
    notice: EscalationNotice | None = None
    # A satisfaction survey's page (absolute) and when its link expires.
    survey_url: str = ""
    survey_expires_at: datetime | None = None


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


def _when(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M %Z}" if value else ""


def _incident_values(
    incident: NetworkIncident | None, update: IncidentUpdate | None
) -> dict[str, str]:
    if incident is None:
        return dict.fromkeys(SAMPLE_CONTEXT["incident"], "")
    # Customers read the customer wording only, never the technical notes.
    message = (update.customer_message.strip() if update else "") or incident.customer_description
    state = update.get_state_display() if update else incident.get_state_display()
    return {
        "reference": incident.reference,
        "title": incident.title,
        "state": state,
        "message": message.strip(),
        "started_at": _when(incident.started_at),
        "eta": _when(incident.eta),
        "resolved_at": _when(incident.resolved_at),
    }


def template_context(context: MessageContext) -> dict[str, Any]:
    """The values a template sees: the same keys as SAMPLE_CONTEXT, always
    all of them ("" where the message has no such thing)."""
    ticket = context.ticket
    customer = context.customer or (ticket.customer if ticket else None)
    contact = context.contact or (ticket.contact if ticket else None)
    # A placeholder customer's name says "Unverified sender …": not a greeting.
    customer_name = customer.name if customer and not customer.is_placeholder else ""
    notice = context.notice
    return {
        "ticket": {
            "reference": ticket.reference if ticket else "",
            "title": ticket.title if ticket else "",
            "status": ticket.get_status_display() if ticket else "",
            "type": ticket.get_ticket_type_display() if ticket else "",
            "created_at": _when(ticket.created_at) if ticket else "",
        },
        "customer": {
            "name": customer_name,
            "account_number": customer.account_number if customer else "",
        },
        "contact": {
            "name": contact.name if contact else "",
            "email": contact.email if contact else "",
        },
        "recipient": {"name": (contact.name if contact else "") or customer_name},
        "agent": {"name": str(context.agent) if context.agent else ""},
        "body": context.body,
        "incident": _incident_values(context.incident, context.update),
        "notice": {
            "subject": notice.subject if notice else "",
            "body": notice.body if notice else "",
        },
        "desk": {"reopen_days": settings.NETDESK_MAIL_REOPEN_DAYS},
        "survey": {"url": context.survey_url, "expires_at": _when(context.survey_expires_at)},
    }


def builtin_template(*, event: str, language: str) -> MessageTemplate:
    """The built-in wording (unsaved), in `language` if there is one, else English."""
    wording = (
        DEFAULT_TEMPLATES.get((event, language)) or DEFAULT_TEMPLATES[(event, FALLBACK_LANGUAGE)]
    )
    found = language if (event, language) in DEFAULT_TEMPLATES else FALLBACK_LANGUAGE
    return MessageTemplate(event=event, language=found, subject=wording.subject, body=wording.body)


def _language_candidates(language: str) -> list[str]:
    language = (language or "").strip().lower()
    candidates = [language, language.split("-")[0], FALLBACK_LANGUAGE]
    return list(dict.fromkeys(c for c in candidates if c))


def template_for(*, event: str, language: str) -> MessageTemplate:
    """The template of `event` in `language` ("de-at" falls back to "de"),
    else in English, else the built-in wording (a deleted template never
    stops a message)."""
    candidates = _language_candidates(language)
    found = {
        t.language: t for t in MessageTemplate.objects.filter(event=event, language__in=candidates)
    }
    for candidate in candidates:
        if candidate in found:
            return found[candidate]
    return builtin_template(event=event, language=candidates[0])


def _render_text(engine: Engine, source: str, values: dict[str, Any]) -> str:
    return Template(source, engine=engine).render(Context(values, autoescape=False))


def _one_line(subject: str) -> str:
    # A subject is one header line: a newline in it would start another header.
    return " ".join(subject.split())


def _compiled(template: MessageTemplate) -> tuple[Template, Template]:
    return Template(template.subject, engine=_ENGINE), Template(template.body, engine=_ENGINE)


class CompiledTemplate:
    """A template compiled once and rendered for many messages (a notice to
    every affected customer of an outage); renders as `message_render` does.
    A template that fails is logged once, not once per message."""

    def __init__(self, template: MessageTemplate) -> None:
        self.template = template
        self._builtin: tuple[Template, Template] | None = None
        self._logged = False
        self._parts: tuple[Template, Template] | None = None
        try:
            self._parts = _compiled(template)
        # Checked when saved, yet a built-in tag may still refuse it later.
        except Exception:
            self._failed()

    def _failed(self) -> None:
        if not self._logged:
            self._logged = True
            logger.exception(
                "template %s (%s) failed to render; using the built-in wording",
                self.template.event,
                self.template.language,
            )

    def _fallback(self) -> tuple[Template, Template]:
        if self._builtin is None:
            self._builtin = _compiled(
                builtin_template(event=self.template.event, language=self.template.language)
            )
        return self._builtin

    def render(self, values: dict[str, Any]) -> RenderedMessage:
        subject: str | None = None
        body: str | None = None
        if self._parts is not None:
            try:
                subject, body = (p.render(Context(values, autoescape=False)) for p in self._parts)
            # A filter may raise anything on a value the sample did not have.
            except Exception:
                self._failed()
        if subject is None or body is None:
            subject, body = (p.render(Context(values, autoescape=False)) for p in self._fallback())
        # Blank lines a template's tags leave at either end carry nothing.
        return RenderedMessage(subject=_one_line(subject), body=body.strip("\n").rstrip() + "\n")


def message_render(*, template: MessageTemplate, values: dict[str, Any]) -> RenderedMessage:
    """Render a template with the values of `template_context`. Templates
    are checked when saved; one that still fails on real values (a filter
    refusing them) gives way to the built-in wording, so no message is lost."""
    return CompiledTemplate(template).render(values)


def _refusal(field: str, source: str, line: int, problem: str) -> ValidationFailed:
    lines = source.splitlines() or [""]
    text = lines[min(max(line, 1), len(lines)) - 1]
    return ValidationFailed(
        f"The {field} cannot be used: line {line}: {problem}",
        field=field,
        value=text,
        accepted="Django template syntax using the variables "
        + ", ".join(_variable_names(SAMPLE_CONTEXT)),
    )


def _variable_names(values: dict[str, Any], prefix: str = "") -> list[str]:
    names: list[str] = []
    for key, value in values.items():
        if isinstance(value, dict):
            names += _variable_names(value, f"{prefix}{key}.")
        else:
            names.append(f"{prefix}{key}")
    return names


def _line_of(source: str, needle: str) -> int:
    for number, text in enumerate(source.splitlines(), start=1):
        if needle in text:
            return number
    return 1


def _check_one(field: str, source: str) -> str:
    """Compile and render `source` with the sample values: what it renders,
    or a ValidationFailed naming the field, the line and the error."""
    try:
        rendered = _render_text(_CHECK_ENGINE, source, SAMPLE_CONTEXT)
    except TemplateSyntaxError as error:
        line = getattr(error, "template_debug", {}).get("line", 1)
        raise _refusal(field, source, line, str(error)) from None
    # Whatever else a tag or filter raises while rendering is the template's fault.
    except Exception as error:
        line = getattr(error, "template_debug", {}).get("line", 1)
        raise _refusal(field, source, line, f"{type(error).__name__}: {error}") from None
    unknown = _UNKNOWN_FOUND.search(rendered)
    if unknown:
        name = unknown.group(1)
        raise _refusal(field, source, _line_of(source, name), f"messages have no variable {name!r}")
    return rendered


def template_check(*, event: str, language: str, subject: str, body: str) -> None:
    """Refuse a template that would fail when a message is sent: an unknown
    event, a malformed language code, a subject too long or empty, a syntax
    error, an unknown variable (each named with its line)."""
    if event not in TemplateEvent.values:
        raise ValidationFailed(
            f"event {event!r} is not accepted.",
            field="event",
            value=event,
            accepted=list(TemplateEvent.values),
        )
    if not LANGUAGE_PATTERN.match(language):
        raise ValidationFailed(
            f"language {language!r} is not a language code.",
            field="language",
            value=language,
            accepted="a lower-case code such as en, de or pt-br",
        )
    if len(subject) > SUBJECT_MAX:
        raise ValidationFailed(
            f"The subject is {len(subject)} characters long; at most {SUBJECT_MAX} are accepted.",
            field="subject",
            value=subject,
            accepted=f"up to {SUBJECT_MAX} characters",
        )
    for field, source in (("subject", subject), ("body", body)):
        if not _check_one(field, source).strip():
            raise ValidationFailed(
                f"The {field} renders as an empty text.",
                field=field,
                value=source,
                accepted="a template that says something",
            )


@transaction.atomic
def template_save(
    *, actor: User | None, event: str, language: str, subject: str, body: str
) -> MessageTemplate:
    """Create or change the template of (event, language) once it passes
    `template_check`; a refused one leaves the saved one as it was."""
    require(actor, Action.CONFIGURE)
    language = language.strip().lower()
    template_check(event=event, language=language, subject=subject, body=body)
    template = (
        MessageTemplate.objects.select_for_update().filter(event=event, language=language).first()
    )
    if template is None:
        return MessageTemplate.objects.create(
            event=event, language=language, subject=subject, body=body
        )
    template.subject = subject
    template.body = body
    template.save(update_fields=["subject", "body", "updated_at"])
    return template


def templates_restore(*, actor: User | None = None) -> int:
    """Put the built-in wording back for every event in English and German
    (templates of other languages stay as they are). Returns how many."""
    require(actor, Action.CONFIGURE)
    with transaction.atomic():
        for (event, language), wording in DEFAULT_TEMPLATES.items():
            MessageTemplate.objects.update_or_create(
                event=event,
                language=language,
                defaults={"subject": wording.subject, "body": wording.body},
            )
    return len(DEFAULT_TEMPLATES)


def _latest_public_reply(ticket: Ticket) -> Comment | None:
    return (
        Comment.objects.filter(ticket=ticket, visibility=Visibility.PUBLIC)
        .select_related("author")
        .order_by("-created_at", "-pk")
        .first()
    )


def template_preview(*, template: MessageTemplate, ticket: Ticket | None = None) -> RenderedMessage:
    """How `template` (saved or not) reads: for `ticket` (its latest public
    reply as the body, its assignee as the agent) or with sample values.
    A template that would be refused on save is refused here the same way."""
    template_check(
        event=template.event,
        language=template.language,
        subject=template.subject,
        body=template.body,
    )
    if ticket is None:
        return message_render(template=template, values=SAMPLE_CONTEXT)
    reply = _latest_public_reply(ticket)
    values = template_context(
        MessageContext(
            ticket=ticket,
            agent=(reply.author if reply else None) or ticket.assignee,
            body=reply.body if reply else "",
        )
    )
    return message_render(template=template, values=values)


def template_fill(*, template: MessageTemplate, ticket: Ticket, agent: User | None) -> str:
    """A reply template's text as the composer starts with it: the ticket's
    values filled in, the body left empty above the rest for the agent to
    write. The reply is then sent as the agent leaves it."""
    values = template_context(MessageContext(ticket=ticket, agent=agent))
    return _render_text(_ENGINE, template.body, values).rstrip() + "\n"
