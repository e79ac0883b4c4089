"""Text the database cannot store (NUL, unpaired surrogates) is refused where
it comes in, naming the place, and nothing is half-written: request bodies
(nested lists included), query strings, forms and paths. Alarms are the
exception: repaired and taken in, never lost. PostgreSQL refuses
such text in a whole statement, so before, one NUL in a batch of alarms was a
500 that stored nothing; SQLite stored the NUL. Runs on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from ninja.params.models import BodyModel

from netdesk.accounts.models import Role, TierKind
from netdesk.api import api
from netdesk.core.schemas import InputSchema
from netdesk.core.text import find_unstorable, replace_unstorable
from netdesk.noc.models import Alarm
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def noc_client() -> Client:
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(noc)}")


@pytest.fixture
def agent() -> Any:
    return f.user(Role.HOTLINE_OPERATOR, groups=[f.group(TierKind.FIRST_LINE)])


def alarm(number: int, **extra: Any) -> dict[str, Any]:
    return {"name": f"PowerLoss{number}", "element": "OLT-7", "severity": "major", **extra}


def post_json(client: Client, path: str, body: str) -> Any:
    return client.post(path, body, content_type="application/json")


def test_a_nul_in_the_fourth_alarm_is_replaced_named_and_every_alarm_taken_in(
    noc_client: Client,
) -> None:
    # A device's alarm must not be lost for a stray NUL (Alertmanager does
    # not resend on a 4xx): it is taken in with U+FFFD, labelled, and named.
    f.element("OLT-7")
    batch = [alarm(0), alarm(1), alarm(2), alarm(3, summary="mains lost\x00 at cabinet")]
    response = post_json(noc_client, "/api/v1/noc/alarms", json.dumps({"alarms": batch}))
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["accepted"] == 4
    assert answer["refused"] == []
    [repair] = answer["repaired"]
    assert repair["index"] == 3
    assert repair["field"] == "alarms[3].summary"
    assert "NUL" in repair["message"]
    assert "U+FFFD" in repair["message"]
    assert Alarm.objects.count() == 4
    fourth = Alarm.objects.get(name="PowerLoss3")
    assert fourth.summary == "mains lost\ufffd at cabinet"
    assert fourth.labels["nul_replaced"] == "1"


def test_a_nul_in_a_label_name_and_an_unpaired_surrogate_are_both_named(
    noc_client: Client,
) -> None:
    f.element("OLT-7")
    # JSON may carry a lone surrogate as an escape; no database stores it.
    body = json.dumps({"alarms": [alarm(0, labels={"rack\x00": "4"}), alarm(1, summary="\ud800")]})
    response = post_json(noc_client, "/api/v1/noc/alarms", body)
    assert response.status_code == 202, response.content
    fields = [repair["field"] for repair in response.json()["repaired"]]
    assert fields == ["alarms[0].labels.rack\\u0000", "alarms[1].summary"]
    assert Alarm.objects.count() == 2


def test_the_rest_of_an_alarm_body_is_still_refused(noc_client: Client) -> None:
    # Only the alarms are repaired item by item; any other field is refused.
    body = {"version": "4\x00", "alerts": []}
    response = post_json(noc_client, "/api/v1/noc/alarms/alertmanager", json.dumps(body))
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "version"


def test_alertmanager_webhook_repairs_a_nul_too(noc_client: Client) -> None:
    f.element("olt-1")
    body = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {"status": "firing", "labels": {"alertname": "Olt\x00Down", "element": "olt-1"}}
        ],
    }
    response = post_json(noc_client, "/api/v1/noc/alarms/alertmanager", json.dumps(body))
    assert response.status_code == 202, response.content
    assert response.json()["repaired"][0]["field"] == "alerts[0].labels.alertname"
    assert Alarm.objects.get().name == "Olt\ufffdDown"


def test_a_ticket_with_a_nul_in_its_title_is_not_created(agent: Any) -> None:
    customer = f.customer()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")
    body = {
        "customer_id": customer.pk,
        "ticket_type": "fault",
        "channel": "phone",
        "title": "No\x00 internet",
        "description": "since 9:00",
    }
    response = post_json(client, "/api/v1/tickets", json.dumps(body))
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "title"
    assert Ticket.objects.count() == 0


def test_a_nul_in_the_query_string_is_refused_naming_the_parameter(agent: Any) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")
    for path in ("/api/v1/customers?q=030%00", "/api/v1/tickets?assignee=a%00b"):
        response = client.get(path)
        assert response.status_code == 400, (path, response.content)
        assert response["Content-Type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert error["field"] in ("q", "assignee")
        assert "NUL" in error["message"]


def test_agent_pages_refuse_a_nul_in_the_query_string_or_a_form(agent: Any) -> None:
    client = Client()
    client.force_login(agent)
    page = client.get("/customers/?q=030%00")
    assert page.status_code == 400
    assert b"The query parameter q contains a NUL character (U+0000)" in page.content
    posted = Client().post(
        "/login/", "username=agent%00&password=x", "application/x-www-form-urlencoded"
    )
    assert posted.status_code == 400
    assert b"The form field username contains a NUL character" in posted.content


def test_every_request_body_of_the_api_is_an_input_schema() -> None:
    """The NUL check lives in InputSchema: a body declared with another base
    class would let unstorable text through."""
    bodies: list[str] = []
    for _prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for model in operation.models:
                    if not issubclass(model, BodyModel):
                        continue
                    for name, field in model.model_fields.items():
                        annotation = field.annotation
                        bodies.append(f"{path} {name}")
                        assert isinstance(annotation, type), (path, name, annotation)
                        assert issubclass(annotation, InputSchema), (path, name, annotation)
    assert len(bodies) > 20


def test_the_check_walks_deep_bodies_without_recursion_and_names_the_place() -> None:
    body: Any = "deep\x00"
    for _ in range(5000):
        body = [body]
    [found] = find_unstorable({"a": body})
    assert found.path == ("a", *[0] * 5000)
    assert found.problem == "contains a NUL character (U+0000) at position 4; remove it"
    assert replace_unstorable("a\x00b\ud800") == ("a\ufffdb\ufffd", 2)
