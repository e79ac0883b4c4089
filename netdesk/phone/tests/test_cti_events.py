"""POST /api/v1/cti/<token>: Zammad's generic CTI events (newCall, answer,
hangup), JSON or form-encoded, become calls; each event is kept; the
answering agent alone hears the screen pop."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role, User
from netdesk.core.live import live_read
from netdesk.core.views_live import EVERY_AGENT, agent_stream
from netdesk.phone.models import Call, CallerLookup, CtiEndpoint, CtiEvent
from netdesk.phone.services.endpoints import cti_endpoint_create, cti_endpoint_revoke
from netdesk.phone.services.events import call_outcome
from tests import factories as f

pytestmark = pytest.mark.django_db

CALLER = "+49 30 55501234"


@pytest.fixture
def endpoint() -> tuple[CtiEndpoint, str]:
    return cti_endpoint_create(name="Main PBX")


def post_json(path: str, body: dict[str, Any]) -> Any:
    return Client().post(path, data=json.dumps(body), content_type="application/json")


def post_form(path: str, body: dict[str, Any]) -> Any:
    return Client().post(
        path, data=urlencode(body, doseq=True), content_type="application/x-www-form-urlencoded"
    )


def event(token: str, kind: str, **fields: Any) -> Any:
    """Post one event of call c-1 from 030 55501234 (fields override)."""
    body = {"event": kind, "callId": "c-1", "direction": "in", "from": "493055501234"}
    body.update({"to": "49302000", **fields})
    return post_json(f"/api/v1/cti/{token}", body)


def test_a_call_rung_answered_and_hung_up_is_one_answered_call_with_times_from_the_events(
    endpoint,
):
    _, token = endpoint
    agent = f.user(Role.HOTLINE_OPERATOR, username="emma")
    customer = f.customer(phone=CALLER)

    rang = event(token, "newCall", **{"user[]": ["emma", "lars"], "queue": "hotline"})
    answered = event(token, "answer", user="emma")
    ended = event(token, "hangup", cause="normalClearing")

    assert rang.status_code == 200
    assert rang.json() == {"call": "c-1", "state": "ringing", "outcome": None}
    assert answered.json()["state"] == "answered"
    assert ended.json() == {"call": "c-1", "state": "ended", "outcome": "answered"}
    call = Call.objects.get()
    assert call.direction == "in"
    assert call.customer_id == customer.pk
    assert call.contact is not None
    assert call.contact.customer_id == customer.pk
    assert call.answered_by_id == agent.pk
    assert call.rang_users == ["emma", "lars"]
    assert call.queue == "hotline"
    assert call.answered_at is not None
    assert call.ended_at is not None
    assert call.started_at <= call.answered_at <= call.ended_at
    assert call.duration_seconds == round((call.ended_at - call.answered_at).total_seconds())
    assert CtiEvent.objects.filter(call=call).count() == 3


def test_form_encoded_events_with_repeated_user_fields_are_read_like_json(endpoint):
    _, token = endpoint
    f.user(Role.HOTLINE_OPERATOR, username="lars")
    path = f"/api/v1/cti/{token}"
    common = {"callId": "f-1", "direction": "in", "from": "0305550999", "to": "030200"}
    assert post_form(path, {"event": "newCall", "user[]": ["anna", "lars"], **common}).status_code
    answered = post_form(path, {"event": "answer", "user[]": ["lars"], **common})
    assert answered.status_code == 200
    call = Call.objects.get()
    assert call.rang_users == ["anna", "lars"]
    assert call.answered_by is not None
    assert call.answered_by.username == "lars"
    kept = CtiEvent.objects.filter(event="newCall").get()
    assert kept.payload["user[]"] == ["anna", "lars"]


def test_multipart_form_events_as_curl_form_sends_them_are_read(endpoint):
    _, token = endpoint
    # The test client posts a dict as multipart/form-data, as curl --form does.
    response = Client().post(
        f"/api/v1/cti/{token}",
        data={"event": "newCall", "callId": "m-1", "direction": "out", "from": "1", "to": "2"},
    )
    assert response.status_code == 200, response.content
    assert Call.objects.get().direction == "out"


def test_only_the_answering_agent_hears_the_screen_pop_with_the_matched_customer(endpoint):
    _, token = endpoint
    emma = f.user(Role.HOTLINE_OPERATOR, username="emma")
    lars = f.user(Role.HOTLINE_OPERATOR, username="lars")
    lars.phone_extension = "42"
    lars.save(update_fields=["phone_extension"])
    customer = f.customer(phone=CALLER)
    event(token, "newCall", **{"user[]": ["emma", "lars"]})
    event(token, "answer", answeringNumber="42", **{"user[]": ["emma", "lars"]})
    event(token, "hangup", cause="normalClearing")

    heard = live_read(streams=[agent_stream(lars.pk)], after=0)
    assert [item.kind for item in heard] == ["call_answered", "call_ended"]
    call = Call.objects.get()
    pop = heard[0].payload
    assert pop["call"] == call.pk
    assert pop["call_id"] == "c-1"
    assert pop["number"] == "493055501234"
    assert pop["direction"] == "in"
    assert pop["customers"] == [
        {
            "id": customer.pk,
            "name": customer.name,
            "account_number": customer.account_number,
            "url": f"/customers/{customer.pk}/",
        }
    ]
    assert pop["search_url"] == "/customers/?q=493055501234"
    assert pop["call_url"] == f"/calls/{call.pk}/"
    assert pop["new_ticket_url"] == f"/calls/{call.pk}/ticket/?customer={customer.pk}"
    assert heard[1].payload == {"call": call.pk, "duration_seconds": 0, "outcome": "answered"}
    assert live_read(streams=[agent_stream(emma.pk), EVERY_AGENT], after=0) == []


def test_a_number_of_several_customers_offers_them_all_and_no_new_ticket(endpoint):
    _, token = endpoint
    agent = f.user(Role.HOTLINE_OPERATOR, username="emma")
    first = f.customer(phone=CALLER)
    second = f.customer(phone="030 55501234")
    event(token, "newCall")
    event(token, "answer", user="emma")
    pop = live_read(streams=[agent_stream(agent.pk)], after=0)[0].payload
    assert {c["id"] for c in pop["customers"]} == {first.pk, second.pk}
    assert pop["new_ticket_url"] is None
    assert Call.objects.get().customer is None


def test_an_unknown_number_is_offered_a_search(endpoint):
    _, token = endpoint
    agent = f.user(Role.HOTLINE_OPERATOR, username="emma")
    event(token, "newCall", **{"from": "anonymous"})
    event(token, "answer", user="emma", **{"from": "anonymous"})
    pop = live_read(streams=[agent_stream(agent.pk)], after=0)[0].payload
    assert pop["customers"] == []
    assert pop["search_url"] == "/customers/?q=anonymous"
    assert pop["new_ticket_url"] is None


def test_events_out_of_order_and_repeated_make_one_consistent_call(endpoint):
    _, token = endpoint
    agent = f.user(Role.HOTLINE_OPERATOR, username="emma")
    event(token, "answer", user="emma")
    event(token, "newCall", queue="hotline")
    event(token, "answer", user="emma")
    first_end = event(token, "hangup", cause="normalClearing").json()
    again = event(token, "hangup", cause="cancel").json()
    assert first_end == again == {"call": "c-1", "state": "ended", "outcome": "answered"}
    call = Call.objects.get()
    assert call.answered_by_id == agent.pk
    assert call.cause == "normalClearing"
    assert call.queue == "hotline"
    assert CtiEvent.objects.filter(call=call).count() == 5
    assert [i.kind for i in live_read(streams=[agent_stream(agent.pk)], after=0)] == [
        "call_answered",
        "call_ended",
    ]


def test_a_hangup_before_its_newcall_still_ends_the_call(endpoint):
    _, token = endpoint
    event(token, "hangup", cause="cancel")
    event(token, "newCall")
    call = Call.objects.get()
    assert call.outcome == "abandoned"
    assert call.from_number == "493055501234"


@pytest.mark.parametrize(
    ("direction", "answered", "cause", "outcome"),
    [
        ("in", True, "normalClearing", "answered"),
        ("in", True, "forwarded", "answered"),
        ("in", False, "cancel", "abandoned"),
        ("in", False, "normalClearing", "abandoned"),
        ("in", False, "noAnswer", "missed"),
        ("in", False, "forwarded", "missed"),
        ("in", False, "", "missed"),
        ("in", False, "busy", "busy"),
        ("in", False, "congestion", "rejected"),
        ("in", False, "notFound", "rejected"),
        ("out", False, "cancel", "missed"),
        ("out", False, "noAnswer", "missed"),
        ("out", False, "busy", "busy"),
        ("out", True, "normalClearing", "answered"),
    ],
)
def test_outcome_from_the_cause_and_whether_it_was_answered(direction, answered, cause, outcome):
    assert call_outcome(direction=direction, answered=answered, cause=cause) == outcome


def test_a_missed_call_goes_through_the_api_as_missed(endpoint):
    _, token = endpoint
    event(token, "newCall")
    assert event(token, "hangup", cause="noAnswer").json()["outcome"] == "missed"


def test_an_event_without_callid_is_refused_with_422_and_kept_with_its_problem(endpoint):
    row, token = endpoint
    response = post_json(f"/api/v1/cti/{token}", {"event": "newCall", "direction": "in"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == "callId"
    kept = CtiEvent.objects.get()
    assert kept.endpoint_id == row.pk
    assert kept.call is None
    assert "callId is missing" in kept.problem
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "ring", "callId": "x"}, "event"),
        ({"event": "newCall", "callId": "x", "direction": "sideways"}, "direction"),
        ({"event": "newCall", "callId": "x"}, "direction"),
        ({"event": "hangup", "callId": "x" * 251}, "callId"),
        ({"event": "newCall", "callId": {"a": 1}, "direction": "in"}, "callId"),
        ({"event": "newCall", "callId": "x", "direction": "in", "from": "1\x002"}, "from"),
    ],
)
def test_bad_events_name_the_field_and_are_kept(endpoint, body, field):
    _, token = endpoint
    response = post_json(f"/api/v1/cti/{token}", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert CtiEvent.objects.get().problem


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ("x", "text/plain")],
)
def test_a_body_the_desk_cannot_read_is_refused_not_a_500(endpoint, data, content_type):
    _, token = endpoint
    response = Client().post(f"/api/v1/cti/{token}", data=data, content_type=content_type)
    assert response.status_code == 422
    assert response.json()["status"] == 422


def test_an_unknown_or_revoked_token_is_404_and_the_event_is_kept(endpoint):
    _, token = endpoint
    unknown = post_json("/api/v1/cti/cti_nosuchtoken", {"event": "newCall", "callId": "u-1"})
    assert unknown.status_code == 404
    assert unknown["Content-Type"] == "application/problem+json"
    cti_endpoint_revoke(name="Main PBX")
    revoked = event(token, "newCall")
    assert revoked.status_code == 404
    assert not Call.objects.exists()
    kept = list(CtiEvent.objects.order_by("pk"))
    assert [(e.endpoint_id, e.event) for e in kept] == [(None, "newCall"), (None, "newCall")]
    assert all("no CTI endpoint" in e.problem for e in kept)
    assert token not in json.dumps([e.payload for e in kept])


def test_guessing_tokens_is_throttled_per_address(settings):
    settings.NETDESK_CTI_UNKNOWN_RATE = "2/minute"
    codes = [post_json(f"/api/v1/cti/guess{n}", {"event": "newCall"}).status_code for n in range(3)]
    assert codes == [404, 404, 429]
    assert CtiEvent.objects.count() == 2


def test_an_endpoint_is_throttled_generously_per_endpoint(endpoint, settings):
    settings.NETDESK_CTI_RATE = "2/minute"
    _, token = endpoint
    other = cti_endpoint_create(name="Branch PBX")[1]
    assert event(token, "newCall").status_code == 200
    assert event(token, "answer").status_code == 200
    refused = event(token, "hangup")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert event(other, "newCall").status_code == 200


def test_a_caller_who_heard_the_outage_notice_and_still_called_is_counted(endpoint):
    row, token = endpoint
    CallerLookup.objects.create(
        endpoint=row,
        number_digits="493055501234",
        incident_reference="NI-7",
        at=timezone.now(),
    )
    event(token, "newCall")
    assert Call.objects.get().heard_outage == "NI-7"


def test_an_agents_extension_is_set_in_the_admin():
    admin = User.objects.create_superuser(username="root", password="x-long-password-9")
    agent = f.user(Role.HOTLINE_OPERATOR)
    browser = Client()
    browser.force_login(admin)
    page = browser.get(f"/admin/accounts/user/{agent.pk}/change/")
    assert page.status_code == 200
    assert b'name="phone_extension"' in page.content
