"""The built-in wording of every message the desk sends, in English and
German: installed by the migration `channels 0002_default_templates` and
put back by `templates_restore`. Plain data, so a migration may read it."""

from __future__ import annotations

from typing import NamedTuple


class DefaultTemplate(NamedTuple):
    subject: str
    body: str


_ACK_EN = DefaultTemplate(
    "[{{ ticket.reference }}] We received your request: {{ ticket.title }}",
    """Hello{% if recipient.name %} {{ recipient.name }}{% endif %},

thank you for your message. We have opened request {{ ticket.reference }}
("{{ ticket.title }}") and will answer you as soon as we can.

Please keep {{ ticket.reference }} in the subject when you write to us about
this request, or simply reply to this message.

Your service desk
""",
)
_ACK_DE = DefaultTemplate(
    "[{{ ticket.reference }}] Ihre Anfrage ist eingegangen: {{ ticket.title }}",
    """Guten Tag{% if recipient.name %} {{ recipient.name }}{% endif %},

vielen Dank für Ihre Nachricht. Wir haben Ihre Anfrage {{ ticket.reference }}
(„{{ ticket.title }}“) aufgenommen und melden uns so bald wie möglich.

Bitte lassen Sie {{ ticket.reference }} im Betreff stehen, wenn Sie uns zu
dieser Anfrage schreiben, oder antworten Sie einfach auf diese Nachricht.

Ihr Kundenservice
""",
)
_REPLY_EN = DefaultTemplate(
    "Re: [{{ ticket.reference }}] {{ ticket.title }}",
    """{{ body }}

Kind regards,
{{ agent.name }}
Your service desk
""",
)
_REPLY_DE = DefaultTemplate(
    "Re: [{{ ticket.reference }}] {{ ticket.title }}",
    """{{ body }}

Mit freundlichen Grüßen
{{ agent.name }}
Ihr Kundenservice
""",
)
_RESOLVED_EN = DefaultTemplate(
    "[{{ ticket.reference }}] Resolved: {{ ticket.title }}",
    """Hello{% if recipient.name %} {{ recipient.name }}{% endif %},

we have resolved your request {{ ticket.reference }} ("{{ ticket.title }}").

If the problem is not solved, reply to this message within {{ desk.reopen_days }} days
and we will take the request up again.

Your service desk
""",
)
_RESOLVED_DE = DefaultTemplate(
    "[{{ ticket.reference }}] Gelöst: {{ ticket.title }}",
    """Guten Tag{% if recipient.name %} {{ recipient.name }}{% endif %},

wir haben Ihre Anfrage {{ ticket.reference }} („{{ ticket.title }}“) gelöst.

Falls das Problem weiterhin besteht, antworten Sie bitte innerhalb von
{{ desk.reopen_days }} Tagen auf diese Nachricht; wir bearbeiten die Anfrage dann weiter.

Ihr Kundenservice
""",
)
_INCIDENT_EN = DefaultTemplate(
    "[{{ incident.reference }}] Service disruption: {{ incident.title }}",
    """Hello{% if recipient.name %} {{ recipient.name }}{% endif %},

there is a disruption in our network that affects your service.

{{ incident.message }}

{% if incident.eta %}We expect the service to be back by {{ incident.eta }}.{% else %}We will \
write to you again when the service is back.{% endif %}

There is no need to report this fault to us.

Your service desk
""",
)
_INCIDENT_DE = DefaultTemplate(
    "[{{ incident.reference }}] Störung: {{ incident.title }}",
    """Guten Tag{% if recipient.name %} {{ recipient.name }}{% endif %},

in unserem Netz gibt es eine Störung, die Ihren Anschluss betrifft.

{{ incident.message }}

{% if incident.eta %}Wir erwarten die Behebung bis {{ incident.eta }}.{% else %}Wir schreiben \
Ihnen wieder, sobald die Störung behoben ist.{% endif %}

Sie müssen uns diese Störung nicht melden.

Ihr Kundenservice
""",
)
_ALL_CLEAR_EN = DefaultTemplate(
    "[{{ incident.reference }}] Resolved: {{ incident.title }}",
    """Hello{% if recipient.name %} {{ recipient.name }}{% endif %},

the disruption "{{ incident.title }}" is resolved{% if incident.resolved_at %} since \
{{ incident.resolved_at }}{% endif %}.
{% if incident.message %}
{{ incident.message }}
{% endif %}
If your service still does not work, please restart your router, and reply
to this message if that does not help.

Your service desk
""",
)
_ALL_CLEAR_DE = DefaultTemplate(
    "[{{ incident.reference }}] Behoben: {{ incident.title }}",
    """Guten Tag{% if recipient.name %} {{ recipient.name }}{% endif %},

die Störung „{{ incident.title }}“ ist behoben{% if incident.resolved_at %} (seit \
{{ incident.resolved_at }}){% endif %}.
{% if incident.message %}
{{ incident.message }}
{% endif %}
Falls Ihr Dienst weiterhin nicht funktioniert, starten Sie bitte Ihren Router
neu und antworten Sie auf diese Nachricht, wenn das nicht hilft.

Ihr Kundenservice
""",
)
_SLA_EN = DefaultTemplate(
    "{{ notice.subject }}",
    """{{ notice.body }}
-- \nNetDesk service-level escalation
""",
)
_SLA_DE = DefaultTemplate(
    "{{ notice.subject }}",
    """{{ notice.body }}
-- \nNetDesk: Eskalation nach Service-Level
""",
)
_SURVEY_EN = DefaultTemplate(
    "[{{ ticket.reference }}] How did we do?",
    """Hello{% if recipient.name %} {{ recipient.name }}{% endif %},

we resolved your request {{ ticket.reference }} ("{{ ticket.title }}").
Would you tell us how we did? It takes a minute: one click for a rating
from 1 to 5, and a comment if you like.

{{ survey.url }}

The link works until {{ survey.expires_at }}.

Thank you,
your service desk
""",
)
_SURVEY_DE = DefaultTemplate(
    "[{{ ticket.reference }}] Wie zufrieden waren Sie?",
    """Guten Tag{% if recipient.name %} {{ recipient.name }}{% endif %},

wir haben Ihre Anfrage {{ ticket.reference }} („{{ ticket.title }}“) gelöst.
Sagen Sie uns, wie zufrieden Sie waren? Es dauert eine Minute: eine
Bewertung von 1 bis 5 und, wenn Sie möchten, ein Kommentar.

{{ survey.url }}

Der Link gilt bis {{ survey.expires_at }}.

Vielen Dank,
Ihr Kundenservice
""",
)

# (event, language) -> wording; every event has an "en" entry, the fallback.
DEFAULT_TEMPLATES: dict[tuple[str, str], DefaultTemplate] = {
    ("acknowledgement", "en"): _ACK_EN,
    ("acknowledgement", "de"): _ACK_DE,
    ("reply", "en"): _REPLY_EN,
    ("reply", "de"): _REPLY_DE,
    ("status_resolved", "en"): _RESOLVED_EN,
    ("status_resolved", "de"): _RESOLVED_DE,
    ("incident_notice", "en"): _INCIDENT_EN,
    ("incident_notice", "de"): _INCIDENT_DE,
    ("all_clear", "en"): _ALL_CLEAR_EN,
    ("all_clear", "de"): _ALL_CLEAR_DE,
    ("sla_notice", "en"): _SLA_EN,
    ("sla_notice", "de"): _SLA_DE,
    ("survey", "en"): _SURVEY_EN,
    ("survey", "de"): _SURVEY_DE,
}
