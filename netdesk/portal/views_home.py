"""The portal's home (the customer's services and the network status on
each one's path) and the contact's choice of how they are told."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from netdesk.customers.models import Contact
from netdesk.portal.access import portal_view
from netdesk.portal.forms_signin import PreferencesForm
from netdesk.portal.selectors import services_with_status
from netdesk.portal.services.preferences import contact_notify_by_set


@require_safe
@portal_view
def home(request: HttpRequest, contact: Contact) -> HttpResponse:
    return render(
        request,
        "portal/home.html",
        {"contact": contact, "customer": contact.customer, "rows": services_with_status(contact)},
    )


@require_http_methods(["GET", "POST"])
@portal_view
def preferences(request: HttpRequest, contact: Contact) -> HttpResponse:
    form = PreferencesForm(request.POST or None, initial={"notify_by": contact.notify_by})
    if request.method == "POST":
        if form.is_valid():
            contact_notify_by_set(contact=contact, notify_by=form.cleaned_data["notify_by"])
            messages.success(request, _("Saved: we tell you the way you chose."))
            return HttpResponseRedirect(reverse("portal_preferences"))
        return render(
            request, "portal/preferences.html", {"form": form, "contact": contact}, status=400
        )
    return render(request, "portal/preferences.html", {"form": form, "contact": contact})
