"""Every date the desk takes, from a form, a query string or a body, lies in
one range; a date outside it is a field error naming the range, never a 500."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from django import forms
from django.test import Client

import netdesk
from netdesk.accounts.models import Role, TierKind
from netdesk.core.dates import DATE_RANGE, DeskDateField, DeskDateTimeField
from tests import factories as f

pytestmark = pytest.mark.django_db


def _every_form() -> list[type[forms.Form]]:
    for module in pkgutil.walk_packages(netdesk.__path__, "netdesk."):
        if ".tests" in module.name or ".migrations" in module.name or "management" in module.name:
            continue
        if module.name.rsplit(".", 1)[-1] in ("views", "forms") or ".views." in module.name:
            importlib.import_module(module.name)
    found: list[type[forms.Form]] = []
    pending: list[Any] = [forms.Form]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("netdesk."):
                found.append(sub)
    return found


def test_every_date_field_of_every_form_is_bounded():
    forms_found = _every_form()
    assert len(forms_found) > 20
    unbounded = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in forms_found
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateField | forms.DateTimeField)
        and not isinstance(field, DeskDateField | DeskDateTimeField)
    ]
    assert unbounded == []


@pytest.mark.parametrize("path", ["/reports/sla/", "/reports/kpis/"])
@pytest.mark.parametrize("field", ["start", "end"])
def test_report_pages_answer_a_far_date_with_a_form_error(client, path, field):
    client.force_login(f.user(Role.TEAM_LEAD))
    response = client.get(path, {field: "9999-12-31"})
    assert response.status_code == 422
    (message,) = response.context["form"].errors[field]
    assert "9999-12-31" in message
    assert DATE_RANGE in message


def _get_operations_with_date_parameters(lead: Client) -> list[tuple[str, str, str]]:
    schema = lead.get("/api/v1/openapi.json").json()
    found = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            options = parameter["schema"].get("anyOf", [parameter["schema"]])
            for option in options:
                if option.get("format") in ("date", "date-time"):
                    found.append((path, parameter["name"], option["format"]))
    return found


def test_every_date_in_a_query_string_is_bounded():
    lead = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user(Role.TEAM_LEAD))}")
    checked = _get_operations_with_date_parameters(lead)
    assert {"/api/v1/reports/sla", "/api/v1/kpis"} <= {p for p, _, _ in checked}
    # The ticket list's dates are read by the list's own parser (a date or a
    # date and time, shared with the queue and exports): documented as text.
    for name in ("created_after", "created_before", "resolved_after", "resolved_before"):
        checked += [("/api/v1/tickets", name, "date"), ("/api/v1/tickets", name, "date-time")]
    for path, name, kind in checked:
        far = "9999-12-31" if kind == "date" else "9999-12-31T23:00:00-05:00"
        response = lead.get(path, {name: far})
        assert response.status_code == 422, (path, name, response.content)
        assert response["Content-Type"] == "application/problem+json"
        (error,) = response.json()["errors"]
        assert error["field"] == name
        assert DATE_RANGE in error["message"]


def test_bodies_bound_dates_and_date_times():
    noc = Client(
        HTTP_AUTHORIZATION=(
            "Bearer "
            + f.token_for(f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)]))
        )
    )
    f.element("CORE-1")
    response = noc.post(
        "/api/v1/noc/incidents",
        {"title": "Core down", "root_element": "CORE-1", "eta": "0001-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "eta"
    assert DATE_RANGE in response.json()["errors"][0]["message"]


def test_noc_eta_far_away_is_a_form_error():
    from netdesk.noc.views import UpdateForm

    form = UpdateForm(data={"eta": "9999-12-31T23:59"})
    assert not form.is_valid()
    assert DATE_RANGE in form.errors["eta"][0]
    assert UpdateForm(data={"eta": "2026-12-01T14:30"}).is_valid()
