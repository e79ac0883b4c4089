"""The customer portal's records: one-time sign-in links, an account's PIN,
which contacts may see what, and the tickets a known outage spared."""

from __future__ import annotations

from django.db import models

from netdesk.customers.models import Contact, Customer, Service


class PortalSignIn(models.Model):
    """A one-time sign-in link mailed to a contact. Only the SHA-256 of its
    secret is kept; it signs in once, within minutes."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The address the link was asked for from (for the throttle and audits).
    requested_from = models.CharField(max_length=45, blank=True, default="")

    def __str__(self) -> str:
        return f"sign-in link for contact {self.contact_id}"


class PortalPin(models.Model):
    """An account's portal PIN (signing in by account number plus PIN signs
    in the account's primary contact). Hashed like a password."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="+")
    pin_hash = models.CharField(max_length=256)
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"PIN of customer {self.customer_id}"


class PortalAccess(models.Model):
    """What a contact may do in the portal. Without a row: a residential
    customer's contacts see all the account's tickets; a business customer's
    see the tickets they opened, unless the customer allows them all."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="+")
    may_sign_in = models.BooleanField(default=True)
    sees_all_tickets = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"portal access of contact {self.contact_id}"


class DeflectionOutcome(models.TextChoices):
    # Told of the outage, the subscriber chose to be notified instead.
    NOTIFIED = "notified", "Asked to be notified instead"
    # Told of the outage, the subscriber opened a ticket anyway.
    OPENED_ANYWAY = "opened_anyway", "Opened a ticket anyway"


class Deflection(models.Model):
    """A subscriber who was about to open a ticket for a service a known
    outage covers, and what they chose: counted for the desk's reports."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(
        "noc.NetworkIncident", on_delete=models.CASCADE, related_name="portal_deflections"
    )
    outcome = models.CharField(max_length=20, choices=DeflectionOutcome.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.outcome} for incident {self.incident_id}"


class HelpSuggestion(models.Model):
    """A public help article the portal suggested while a contact wrote a
    new ticket, whether they opened it, and the ticket they opened anyway:
    how often the knowledge base spared the desk a ticket. One row per
    article and writing (one new-ticket form as shown, a random key it
    carries), however often the article was suggested while writing."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey("knowledge.Article", on_delete=models.CASCADE, related_name="+")
    writing = models.CharField(max_length=32)
    shown_at = models.DateTimeField()
    # The contact opened the article from the suggestion.
    opened_at = models.DateTimeField(null=True, blank=True)
    # The ticket the contact opened anyway after the suggestion (none: spared).
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["writing", "article"], name="portal_help_suggestion_once"
            )
        ]
        indexes = [models.Index(fields=["shown_at"])]

    def __str__(self) -> str:
        return f"article {self.article_id} suggested to contact {self.contact_id}"
