"""Requests the desk cannot read are refused with a 4xx that says why, as
problem+json under /api/ and as a page in the agent UI; never a 500."""

import json

import pytest
from django.test import Client

from netdesk.accounts.models import Role
from tests import factories as f

BROKEN_MULTIPART = (
    b"--edge\r\n"
    b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"no closing boundary"
)
# A boundary far longer than RFC 2046 allows: Django refuses to parse it.
BAD_BOUNDARY = "multipart/form-data; boundary=" + "x" * 250


@pytest.fixture
def lead(db):
    return f.user(Role.TEAM_LEAD)


def test_json_body_over_the_limit_is_413_problem(lead, settings):
    token = f.token_for(lead)
    body = json.dumps({"title": "x" * (12 * 1024 * 1024)})
    answer = Client().post(
        "/api/v1/tickets",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 413
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 413
    assert "MiB" in problem["detail"]


@pytest.mark.parametrize("content_type", [BAD_BOUNDARY, "multipart/form-data"])
def test_malformed_multipart_attachment_is_400_problem(lead, content_type):
    ticket = f.ticket(lead)
    token = f.token_for(lead)
    answer = Client().generic(
        "POST",
        f"/api/v1/tickets/{ticket.reference}/attachments",
        BROKEN_MULTIPART,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert "multipart" in answer.json()["detail"]


def test_malformed_multipart_in_the_ui_is_a_400_page(lead):
    ticket = f.ticket(lead)
    client = Client()
    client.force_login(lead)
    answer = client.generic(
        "POST", f"/tickets/{ticket.reference}/comment/", BROKEN_MULTIPART, content_type=BAD_BOUNDARY
    )
    assert answer.status_code == 400
    assert "text/html" in answer["Content-Type"]
    assert "could not be read" in answer.content.decode()


def test_body_over_the_limit_in_the_ui_is_a_413_page(lead):
    ticket = f.ticket(lead)
    client = Client()
    client.force_login(lead)
    answer = client.post(
        f"/tickets/{ticket.reference}/comment/",
        "comment-body=" + "x" * (12 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 413
    assert "MiB" in answer.content.decode()


def test_unknown_page_is_a_plain_404_without_resolver_details(lead):
    client = Client()
    client.force_login(lead)
    answer = client.get("/no/such/page/")
    assert answer.status_code == 404
    page = answer.content.decode()
    assert "Resolver404" not in page
    assert "tried" not in page
    assert "This page does not exist" in page


def test_unknown_api_path_is_404_problem(lead):
    token = f.token_for(lead)
    answer = Client().get("/api/v1/no-such-thing", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["instance"] == "/api/v1/no-such-thing"


def test_a_desk_message_on_a_404_is_still_shown(lead):
    client = Client()
    client.force_login(lead)
    answer = client.get("/tickets/TT-999999/")
    assert answer.status_code == 404
    assert "TT-999999" in answer.content.decode()


@pytest.mark.django_db
def test_favicon_is_served():
    answer = Client().get("/favicon.ico")
    assert answer.status_code == 200
    assert answer["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    # getvalue() joins a streamed body as well as a plain one.
    assert answer.getvalue()[:4] == b"\x00\x00\x01\x00"


@pytest.mark.django_db
def test_every_operation_with_a_body_documents_its_413_problem():
    schema = Client().get("/api/v1/openapi.json").json()
    with_body = [
        operation
        for operations in schema["paths"].values()
        for operation in operations.values()
        if "requestBody" in operation
    ]
    assert with_body
    for operation in with_body:
        assert "application/problem+json" in operation["responses"]["413"]["content"]
